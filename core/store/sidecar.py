"""The index sidecar, ``store.<g>.indexes``: a snapshot's indexes saved so that opening need not rebuild them.

Layout: a header line naming the snapshot it belongs to (generation, the snapshot's CRC-32, the index key functions'
signature), then per index a JSON line naming it and the byte lengths of its parts followed by those parts, then a
trailer line with the CRC-32 of everything before it. It is a cache: anything that does not match is ignored.
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Iterable
from pathlib import Path

import orjson

from core.private_files import open_private
from core.store import journal

Header = dict[str, object]


def _trailer(crc: str) -> bytes:
    return b'\n{"end":true,"crc32":"%s"}\n' % crc.rjust(8, "0").encode()


def write(path: Path, header: Header, indexes: Iterable[tuple[str, tuple[bytes, ...]]]) -> bool:
    """Save ``indexes`` under ``header``; False if the disk would not take them (opening then rebuilds them)."""
    temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    first = orjson.dumps(header) + b"\n"
    crc = zlib.crc32(first)
    try:
        with open(open_private(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC), "wb", buffering=1 << 20) as out:
            out.write(first)
            for name, parts in indexes:
                for piece in (orjson.dumps({"index": name, "parts": [len(p) for p in parts]}) + b"\n", *parts):
                    crc = zlib.crc32(piece, crc)
                    out.write(piece)
            out.write(_trailer(f"{crc & 0xFFFFFFFF:08x}"))
        os.replace(temporary, path)
    except OSError:
        temporary.unlink(missing_ok=True)
        return False
    return True


def read(path: Path, expected: Header) -> dict[str, list[bytes]] | None:
    """The saved indexes, or None if there are none, or none that belong to ``expected`` and pass their checksum."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    try:
        body_end = len(data) - len(_trailer(""))  # binary parts may hold newlines: the trailer's size is fixed
        if data[body_end:] != _trailer(journal.crc(data[:body_end])):
            return None
        position = data.index(b"\n") + 1
        if orjson.loads(data[:position]) != expected:
            return None
        indexes: dict[str, list[bytes]] = {}
        while position < body_end:
            line_end = data.index(b"\n", position) + 1
            entry = orjson.loads(data[position:line_end])
            position = line_end
            parts = []
            for length in entry["parts"]:
                parts.append(data[position:position + length])
                position += length
            indexes[entry["index"]] = parts
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
    return indexes
