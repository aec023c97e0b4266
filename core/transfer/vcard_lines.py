"""The vCard text format, 2.1 to 4.0, as exporters really write it: folded lines, quoted-printable values with soft
line breaks and a CHARSET, bare type parameters (``TEL;WORK;FAX``), ``item1.`` groups, commas left unescaped.

Reading gives each card as its properties; writing escapes and folds. What the properties mean is ``vcard.py``'s.
"""

from __future__ import annotations

import quopri
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

_NAME = re.compile(r"^(?:([A-Za-z0-9-]+)\.)?([A-Za-z0-9-]+)$")
_ESCAPES = {"n": "\n", "N": "\n", ",": ",", ";": ";", ":": ":", "\\": "\\"}


@dataclass
class Property:
    name: str  # upper case, without its group
    params: dict[str, list[str]]  # upper-case keys; bare 2.1 parameters are TYPE values
    raw: str  # the value as written (escapes still in it), decoded from quoted-printable
    group: str = ""

    @property
    def types(self) -> set[str]:
        return {t.strip().casefold() for value in self.params.get("TYPE", []) for t in value.split(",") if t.strip()}

    @property
    def text(self) -> str:
        """The value as one text (escapes undone; commas are text, as 2.1 writes them)."""
        return unescape(self.raw).strip()

    def values(self) -> list[str]:
        """The items of a list value (CATEGORIES): split at each unescaped comma."""
        return [text for part in _split(self.raw, ",") if (text := unescape(part).strip())]

    def components(self) -> list[str]:
        """The components of a structured value, each one's comma-separated values joined by spaces (3.0 and 4.0
        write N's several given names so)."""
        return [" ".join(t for v in _split(part, ",") if (t := unescape(v).strip()))
                for part in _split(self.raw, ";")]

    def parts(self) -> list[str]:
        """The components of a structured value (N, ADR, ORG): split at each unescaped semicolon."""
        return [unescape(part).strip() for part in _split(self.raw, ";")]


@dataclass
class Card:
    line: int  # where its BEGIN:VCARD is
    properties: list[Property] = field(default_factory=list)
    written: list[str] = field(default_factory=list)  # its lines as the file has them (for a rejects file)

    def all(self, name: str) -> list[Property]:
        return [p for p in self.properties if p.name == name]

    def first(self, name: str) -> Property | None:
        return next((p for p in self.properties if p.name == name), None)

    def labels(self, prop: Property) -> set[str]:
        """The types of a property, with the Apple label of its ``itemN.`` group (``X-ABLabel:_$!<Mobile>!$_``)."""
        labels = set(prop.types)
        if prop.group:
            for other in self.properties:
                if other.group == prop.group and other.name == "X-ABLABEL":
                    labels.add(other.text.removeprefix("_$!<").removesuffix(">!$_").casefold())
        return labels


class NotAVCard(ValueError):
    pass


def read_cards(text: str, charset: str) -> Iterator[Card]:
    """Each card of ``text``; ``charset`` decodes quoted-printable values that name none."""
    card: Card | None = None
    lines = text.splitlines()
    for number, line in _logical_lines(lines):
        if not line.strip():
            continue
        head, _, value = _split_once(line)
        upper = head.upper()
        if upper == "BEGIN" and value.strip().upper() == "VCARD":
            card = Card(number)
            continue
        if upper == "END" and value.strip().upper() == "VCARD":
            if card is not None:
                card.written = lines[card.line - 1:number]
                yield card
            card = None
            continue
        if card is None:
            continue  # text between cards (a mail client's header, a blank line) is not a card
        prop = _property(head, value, charset)
        if prop is not None:
            card.properties.append(prop)
    if card is not None:
        raise NotAVCard(f"the card that starts on line {card.line} has no END:VCARD")


def _logical_lines(lines: list[str]) -> Iterator[tuple[int, str]]:
    """Lines with folding undone: a line starting with a space or tab continues the one before; a quoted-printable
    line ending in "=" continues on the next (2.1's soft line break)."""
    pending: tuple[int, str] | None = None
    for number, line in enumerate(lines, 1):
        if pending is not None:
            start, held = pending
            if line[:1] in (" ", "\t") and not _soft_break(held):
                pending = (start, held + line[1:])
                continue
            if _soft_break(held):
                pending = (start, held[:-1] + line)
                continue
            yield pending
        pending = (number, line)
    if pending is not None:
        yield pending


def _soft_break(line: str) -> bool:
    head, colon, _ = _split_once(line)
    return bool(colon) and "QUOTED-PRINTABLE" in head.upper() and line.endswith("=")


def _split_once(line: str) -> tuple[str, str, str]:
    """``name;params`` and the value, split at the first colon outside quotes."""
    quoted = False
    for index, char in enumerate(line):
        if char == '"':
            quoted = not quoted
        elif char == ":" and not quoted:
            return line[:index], ":", line[index + 1:]
    return line, "", ""


def _property(head: str, value: str, charset: str) -> Property | None:
    name_part, *param_parts = _split(head, ";", quotes=True)
    match = _NAME.match(name_part.strip())
    if match is None:
        return None
    params: dict[str, list[str]] = {}
    for part in param_parts:
        key, equals, given = part.partition("=")
        if not equals:  # 2.1: ;WORK;VOICE, ;QUOTED-PRINTABLE, ;BASE64
            key, given = _bare_key(key), key
        params.setdefault(key.strip().upper(), []).extend(v.strip().strip('"') for v in _split(given, ",", True))
    encoding = {e.upper() for e in params.get("ENCODING", [])}
    if "QUOTED-PRINTABLE" in encoding:
        data = quopri.decodestring(value.encode("latin-1", "replace"))
        wanted = (params.get("CHARSET") or [charset])[0]
        try:
            value = data.decode(wanted)
        except (LookupError, UnicodeDecodeError):
            value = data.decode(charset, "replace")
    return Property(match.group(2).upper(), params, value, (match.group(1) or "").upper())


def _bare_key(value: str) -> str:
    upper = value.strip().upper()
    if upper in ("QUOTED-PRINTABLE", "BASE64", "8BIT", "7BIT", "B"):
        return "ENCODING"
    return "VALUE" if upper in ("URL", "URI", "CONTENT-ID", "CID") else "TYPE"


def _split(text: str, separator: str, quotes: bool = False) -> list[str]:
    """``text`` split at each ``separator`` that no backslash escapes (nor, with ``quotes``, double quotes hide)."""
    parts, current, escaped, quoted = [], [], False, False
    for char in text:
        if escaped:
            current.append(char)
            escaped = False
        elif char == "\\" and not quotes:
            current.append(char)
            escaped = True
        elif char == '"' and quotes:
            quoted = not quoted
            current.append(char)
        elif char == separator and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


def unescape(text: str) -> str:
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), "\\" + m.group(1)), text)


# ---------------------------------------------------------------- writing

def escape(text: str) -> str:
    return (text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\r\n", "\n")
            .replace("\r", "\n").replace("\n", "\\n"))


def line(name: str, value: str, params: dict[str, str] | None = None) -> str:
    """One property, folded at 75 octets without splitting a character, with CRLF as the RFCs ask."""
    head = name + "".join(f";{key}={given}" for key, given in (params or {}).items())
    text = f"{head}:{value}"
    pieces: list[str] = []
    current: list[str] = []
    size = 0
    for char in text:
        width = len(char.encode("utf-8"))
        if size + width > (75 if not pieces else 74):
            pieces.append("".join(current))
            current, size = [], 0
        current.append(char)
        size += width
    pieces.append("".join(current))
    return "\r\n ".join(pieces) + "\r\n"
