"""Reading an import file's text: whatever is wrong with it (not there, empty, binary, another encoding) is said
in words that name the real cause, never a traceback."""

from __future__ import annotations

from pathlib import Path

from core.errors import ValidationFailed

BINARY = "is a binary file (a spreadsheet, an archive or a picture?), not text; export it as CSV, vCard or JSON Lines"
_BOMS = ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))


def read_text(path: Path, encoding: str | None = None) -> tuple[str, str]:
    """The file's text with line endings made ``\\n`` (Excel for Mac writes bare CRs), and the encoding read."""
    try:
        data = path.read_bytes()
    except IsADirectoryError:
        raise ValidationFailed.one("file", str(path), "is a folder, not a file") from None
    except OSError as error:
        raise ValidationFailed.one("file", str(path), f"cannot be read: {error.strerror}") from None
    bom = next((name for mark, name in _BOMS if data.startswith(mark)), None)
    if not data.strip():
        raise ValidationFailed.one("file", str(path), "is empty")
    if bom is None and b"\x00" in data[:8192]:
        raise ValidationFailed.one("file", str(path), BINARY)
    used = encoding or bom or "utf-8-sig"
    try:
        text = data.decode(used)
    except LookupError:
        raise ValidationFailed.one("encoding", encoding, "is not an encoding Python knows (try cp1252, latin-1, "
                                                         "utf-16)") from None
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise ValidationFailed.one(
            "file", str(path),
            f"is not {encoding or 'UTF-8'} text: byte 0x{data[error.start]:02X} on line {line} cannot be read. Save "
            "it as UTF-8 (\"CSV UTF-8\" in Excel), or name its encoding, for example cp1252", fix="encoding",
        ) from None
    if "\n" not in text and "\r" in text:
        text = text.replace("\r", "\n")
    return text, used.removesuffix("-sig")
