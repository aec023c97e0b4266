"""Text as the directory treats it: folded for search, and kept inert where it is shown."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_WORD = re.compile(r"[^\W_]+")


@lru_cache(maxsize=200_000)
def fold(text: str) -> str:
    """Lower-case ``text`` and strip accents, so that "Zoë" and "ZOE" compare equal."""
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def words(text: str) -> list[str]:
    """The folded words of ``text``: runs of letters and digits."""
    return _WORD.findall(fold(text))


# Characters that act on a terminal or reorder text instead of showing: C0 controls but tab and line feed, DEL, C1
# controls (ESC starts every escape sequence), and the bidirectional embeddings, overrides and isolates.
CONTROLS = "\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069"
CONTROL_RULE = "must not hold control characters (such as terminal escapes) or direction overrides"
_CONTROL = re.compile(f"[{CONTROLS}]")
_SHOWN_INSTEAD = str.maketrans(
    {c: 0x2400 + c for c in (*range(0x09), *range(0x0B, 0x20))}  # Unicode's pictures of them: ␛ for ESC
    | {0x7F: 0x2421}
    | {c: 0xFFFD for c in (*range(0x80, 0xA0), *range(0x202A, 0x202F), *range(0x2066, 0x206A))}
    # zero-width spaces hide a difference ("Ann" and "An\u200bn" look alike); joiners (U+200C, U+200D) are writing
    | {c: 0xFFFD for c in (0x200B, 0x2060, 0xFEFF)}
)


def inert(text: str) -> str:
    """``text`` with every control character shown as a visible stand-in of the same length (one character each,
    so styled ranges over it stay where they were): what a terminal or a chat shows of stored text."""
    return text.translate(_SHOWN_INSTEAD)


def holds_controls(text: str) -> bool:
    return _CONTROL.search(text.replace("\r\n", "\n")) is not None  # a Windows line break is a line break
