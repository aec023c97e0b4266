"""Snapshot files: a header line; per table a section line, the ids (int64) and the documents (JSON, one a line);
a trailer line with the count and the CRC-32 of everything before it."""

from __future__ import annotations

import os
import zlib
from array import array
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import BinaryIO

import orjson

from core.errors import CorruptStore, UnsupportedStoreFormat
from core.private_files import FILE_MODE
from core.store.disk import fsync_directory, io_error

FORMAT_NAME = "contacts-store"
FORMAT_VERSION = 1
CHUNK = 16 << 20
TEMPORARY_SUFFIX = ".snapshot.tmp"


@dataclass(frozen=True)
class Written:
    size: int
    crc: str
    next_ids: dict[str, int]


def load(snapshot: BinaryIO, name: Path, tables: dict[str, dict[int, bytes]]) -> Written:
    """Read a whole snapshot into ``tables``; anything that does not add up is refused, naming the file."""
    try:
        return _load(snapshot, name, tables)
    except (ValueError, KeyError, TypeError, AttributeError):  # a section that does not parse
        raise CorruptStore(f"{name} is damaged; it was left untouched. Restore it from a backup") from None


def _load(snapshot: BinaryIO, name: Path, tables: dict[str, dict[int, bytes]]) -> Written:
    header_line = snapshot.readline()
    try:
        header = orjson.loads(header_line)
    except orjson.JSONDecodeError:
        raise CorruptStore(f"{name} does not start with a store header; it was left untouched") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT_NAME:
        raise CorruptStore(f"{name} is not a Contacts store file; it was left untouched")
    version = header.get("version")
    if version != FORMAT_VERSION:
        raise UnsupportedStoreFormat(
            f"{name} is in store format {version!r}; this release of Contacts reads format {FORMAT_VERSION}. "
            "Open it with the release that wrote it (or a newer one); it was left untouched"
        )
    damaged = CorruptStore(f"{name} is damaged (truncated or altered); it was left untouched. "
                           "Restore it from a backup")
    crc, count = zlib.crc32(header_line), 0
    while True:
        line = snapshot.readline()
        try:
            section = orjson.loads(line)
        except orjson.JSONDecodeError:
            raise damaged from None
        if section.get("end"):
            break
        crc = zlib.crc32(line, crc)
        documents, size = int(section["documents"]), int(section["bytes"])
        id_bytes = snapshot.read(8 * documents)
        crc = zlib.crc32(id_bytes, crc)
        ids = array("q")
        ids.frombytes(id_bytes)
        if len(ids) != documents:
            raise damaged
        docs = tables.setdefault(section["table"], {})
        loaded, held = 0, b""
        while size:
            chunk = snapshot.read(min(CHUNK, size))
            if not chunk:
                raise damaged
            size -= len(chunk)
            crc = zlib.crc32(chunk, crc)
            data = held + chunk
            cut = data.rfind(b"\n") + 1
            lines, held = data[:cut].split(b"\n"), data[cut:]
            lines.pop()
            docs.update(zip(ids[loaded:loaded + len(lines)], lines, strict=False))  # counts checked below
            loaded += len(lines)
        if held or loaded != documents:
            raise damaged
        count += documents
    checksum = f"{crc & 0xFFFFFFFF:08x}"
    if section.get("documents") != count or section.get("crc32") != checksum:
        raise damaged
    return Written(snapshot.tell(), checksum, {str(k): int(v) for k, v in header.get("next_ids", {}).items()})


def write(path: Path, generation: int, next_ids: dict[str, int], tables: dict[str, dict[int, bytes]]) -> Written:
    """Write a snapshot beside ``path`` and rename it into place (the rename is the moment it exists). On any
    failure the temporary file is removed and nothing else has changed."""
    temporary = path.with_suffix(TEMPORARY_SUFFIX)
    try:
        crc = _write_temporary(temporary, generation, next_ids, tables)
        os.replace(temporary, path)
    except OSError as error:
        temporary.unlink(missing_ok=True)
        raise io_error(error, path, "write a new snapshot") from error
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    fsync_directory(path.parent)
    return Written(path.stat().st_size, crc, next_ids)


def _write_temporary(temporary: Path, generation: int, next_ids: dict[str, int],
                     tables: dict[str, dict[int, bytes]]) -> str:
    header = orjson.dumps(
        {"format": FORMAT_NAME, "version": FORMAT_VERSION, "generation": generation, "next_ids": next_ids}
    ) + b"\n"
    crc, count = zlib.crc32(header), 0
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    os.fchmod(fd, FILE_MODE)
    with open(fd, "wb", buffering=1 << 20) as out:
        out.write(header)
        for table, docs in tables.items():
            if not docs:
                continue
            size = sum(map(len, docs.values())) + len(docs)
            section = orjson.dumps({"table": table, "documents": len(docs), "bytes": size}) + b"\n"
            for piece in (section, array("q", docs).tobytes()):
                crc = zlib.crc32(piece, crc)
                out.write(piece)
            documents = iter(docs.values())
            while batch := list(islice(documents, 10_000)):
                piece = b"\n".join(batch) + b"\n"
                crc = zlib.crc32(piece, crc)
                out.write(piece)
            count += len(docs)
        checksum = f"{crc & 0xFFFFFFFF:08x}"
        out.write(orjson.dumps({"end": True, "documents": count, "crc32": checksum}) + b"\n")
        out.flush()
        os.fsync(out.fileno())
    return checksum
