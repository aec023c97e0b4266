"""Journal lines, ``<crc32 hex> <json>\\n``, one per committed transaction, and what counts as damage.

A line is written with one ``write`` whose last byte is the newline, and acknowledged only once it is ``fdatasync``-ed.
So a crash can leave only an *unterminated* final line: a prefix of the line being written, or the zeros some
filesystems show for blocks allocated but never written. That, and only that, is an unacknowledged write that may be
dropped. A complete line that fails its checksum, or a tail that cannot be the start of a line, is damage.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass
from pathlib import Path

import orjson

# What a line cut short can look like: part of the checksum, or the checksum, a space and the start of the JSON.
_LINE_START = re.compile(rb"[0-9a-f]{0,8}|[0-9a-f]{8} (\{[^\n]*)?")


def crc(data: bytes, start: int = 0) -> str:
    return f"{zlib.crc32(data, start) & 0xFFFFFFFF:08x}"


def encode(payload: bytes) -> bytes:
    return crc(payload).encode() + b" " + payload + b"\n"


def decode(line: bytes) -> dict | None:
    """A complete line (without its newline) as the record it holds, or None if it is damaged."""
    checksum, _, payload = line.partition(b" ")
    if crc(payload).encode() != checksum:
        return None
    try:
        record = orjson.loads(payload)
    except orjson.JSONDecodeError:
        return None
    return record if isinstance(record, dict) else None


def is_torn(tail: bytes) -> bool:
    """True if ``tail`` (bytes after the last newline) can be a write that a crash cut short."""
    return not tail.strip(b"\0") or _LINE_START.fullmatch(tail) is not None


@dataclass(frozen=True)
class Damage:
    """Bytes of a store file that cannot be trusted: where they are, how many, and why."""

    path: Path
    offset: int
    length: int
    reason: str
    harmless: bool = False  # an unacknowledged write cut short: dropping it loses nothing anyone was told was saved

    def __str__(self) -> str:
        return f"{self.path.name} at byte {self.offset} ({self.length} bytes): {self.reason}"


def scan(path: Path) -> tuple[list[bytes], list[Damage]]:
    """Every complete, intact line of a journal (newline included), and every damaged part of it."""
    data = path.read_bytes()
    good: list[bytes] = []
    damage: list[Damage] = []
    position = 0
    while (newline := data.find(b"\n", position)) >= 0:
        line = data[position:newline]
        if decode(line) is None:
            damage.append(Damage(path, position, newline + 1 - position, "a complete line that fails its checksum"))
        else:
            good.append(data[position:newline + 1])
        position = newline + 1
    tail = data[position:]
    if tail:
        if is_torn(tail):
            damage.append(Damage(path, position, len(tail), "a write cut short before it was acknowledged",
                                 harmless=True))
        else:
            damage.append(Damage(path, position, len(tail), "bytes that are not a journal line"))
    return good, damage
