"""Phone numbers: normalization to E.164 and the candidate keys a typed number can match.

Numbers are kept as typed; the E.164 form is derived. Parsing with phonenumbers costs ~45 µs, so lookups first
try the forms a person or a telephony system most often types (international, IDD, national) as direct index keys
and only parse when none of those hits.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache, lru_cache
from urllib.parse import unquote

import phonenumbers
from phonenumbers import PhoneMetadata, PhoneNumberFormat

# The region a number typed without a country code is read in when ``[phone] default_region`` says nothing.
DEFAULT_REGION = "US"

_FORMATTING = re.compile(r"[\s().\-/\u00a0]")
_NON_DIGITS = re.compile(r"\D")
_PLAIN_DIGITS = re.compile(r"\d+")


@dataclass(frozen=True, slots=True)
class ParsedPhone:
    e164: str | None
    extension: str | None
    region: str | None


_TEL_URI = re.compile(r"^\s*tel:", re.IGNORECASE)


def from_tel_uri(text: str) -> str:
    """A ``tel:`` URI (RFC 3966, what click-to-call links and telephony integrations paste) as the number a person
    would type: ``tel:+1-415-200-0017;ext=12`` → ``+1-415-200-0017 ext. 12``; a local number takes the global
    number of its ``phone-context``. Anything else comes back unchanged."""
    if not _TEL_URI.match(text):
        return text
    number, *parameters = unquote(_TEL_URI.sub("", text, count=1)).strip().split(";")
    fields = dict(p.partition("=")[::2] for p in parameters)
    context = fields.get("phone-context", "")
    if not number.startswith("+") and context.startswith("+"):
        number = context + number
    extension = fields.get("ext") or fields.get("postd", "").lstrip("pw")
    return number + (f" ext. {extension}" if extension else "")


def has_number(text: str) -> bool:
    """False for text nobody would dial: no digits at all, or a country code alone (``+44``)."""
    digits = digits_of(from_tel_uri(text))
    return bool(digits) and not (text.strip().startswith("+") and len(digits) <= 3)


@lru_cache(maxsize=100_000)
def parse_phone(text: str, default_region: str) -> ParsedPhone:
    """Parse ``text`` as a person typed it (a ``tel:`` URI too); ``default_region`` applies to numbers without a
    country code.

    A number that does not parse, or parses but is not a valid number, gets no E.164 form: it is still stored as
    typed and found by its digits.
    """
    text = from_tel_uri(text)
    number = _plain_number(text, default_region)
    if number is None:
        try:
            number = phonenumbers.parse(text, default_region)
        except phonenumbers.NumberParseException:
            return ParsedPhone(None, None, None)
    extension = number.extension or None
    # is_valid_number() is exactly this, but finding the region is half its cost and the region is wanted too.
    region = phonenumbers.region_code_for_number(number)
    if region is None or not phonenumbers.is_valid_number_for_region(number, region):
        return ParsedPhone(None, extension, None)
    return ParsedPhone(phonenumbers.format_number(number, PhoneNumberFormat.E164), extension, region)


_PLAIN = re.compile(r"\+?[\d\s().\-/\u00a0]+")


def _plain_number(text: str, default_region: str) -> phonenumbers.PhoneNumber | None:
    """The number for the two shapes bulk imports are made of, without ``phonenumbers.parse`` (two thirds of the
    cost): ``+<country code><number>`` that needs no national prefix stripped, and ten-digit North American
    numbers typed nationally. Anything else (extensions, letters, national prefixes) returns None: parse it."""
    if not _PLAIN.fullmatch(text):
        return None
    digits = _NON_DIGITS.sub("", text)
    if text.lstrip().startswith("+"):
        for length in (1, 2, 3):
            code = int(digits[:length] or 0)
            if code in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
                national = digits[length:]
                break
        else:
            return None
        prefix = _national_prefix_pattern(code)
        if not 4 <= len(national) <= 15 or national[0] == "0" or (prefix and prefix.match(national)):
            return None
        return phonenumbers.PhoneNumber(country_code=code, national_number=int(national))
    if default_region in _NANP_REGIONS and len(digits) == 10 and digits[0] in "23456789":
        return phonenumbers.PhoneNumber(country_code=1, national_number=int(digits))
    return None


@cache
def _national_prefix_pattern(code: int) -> re.Pattern | None:
    """What ``phonenumbers.parse`` would strip from the start of a number after this country code."""
    region = phonenumbers.region_code_for_country_code(code)
    metadata = (PhoneMetadata.metadata_for_nongeo_region(code) if region == "001"
                else PhoneMetadata.metadata_for_region(region))
    pattern = metadata.national_prefix_for_parsing if metadata is not None else None
    return re.compile(pattern) if pattern else None


_NANP_REGIONS = frozenset(phonenumbers.COUNTRY_CODE_TO_REGION_CODE[1])


def read_number(raw: str, region: str | None, default_region: str) -> ParsedPhone:
    """What a number typed for ``region`` (None: the directory's) reads as. ``region`` is also what a number was
    found to be, so the default region's dialling rules are tried too: "011 44 20 7946 0958" typed in the US is a
    GB number that only reads as one with the US's rules."""
    parsed = parse_phone(raw, region or default_region)
    if parsed.e164 is None and region and region != default_region:
        parsed = parse_phone(raw, default_region)
    return parsed


def portable(raw: str, e164: str | None, extension: str | None, region: str) -> str:
    """How to write a stored number into a file another system (or a directory whose default region is
    ``region``) reads: as typed when that reads back as the same number, else in international format."""
    if e164 is None or raw.lstrip().startswith("+") or parse_phone(raw, region).e164 == e164:
        return raw
    international = phonenumbers.format_number(phonenumbers.parse(e164), PhoneNumberFormat.INTERNATIONAL)
    return international + (f" x{extension}" if extension else "")


def digits_of(text: str) -> str:
    return _NON_DIGITS.sub("", text)


def is_region(code: str) -> bool:
    return code.upper() in phonenumbers.SUPPORTED_REGIONS


@dataclass(frozen=True, slots=True)
class _RegionDialling:
    country_code: str
    national_prefix: str | None
    international_prefix: str | None


@cache
def _dialling(region: str) -> _RegionDialling:
    metadata = PhoneMetadata.metadata_for_region(region)
    country_code = str(phonenumbers.country_code_for_region(region))
    if metadata is None:
        return _RegionDialling(country_code, None, None)
    idd = metadata.international_prefix
    return _RegionDialling(
        country_code,
        metadata.national_prefix or None,
        idd if idd and _PLAIN_DIGITS.fullmatch(idd) else None,
    )


def e164_candidates(text: str, default_region: str) -> Iterator[str]:
    """E.164 strings that ``text`` may denote, cheapest first; the last one is the parsed form.

    The cheap forms are only guesses; a caller treats one as a match only when it is a stored, validated E.164
    number, which is what the parsed form would give for the number typed.
    """
    text = from_tel_uri(text)
    plain = _FORMATTING.sub("", text)
    if plain.startswith("+") and plain[1:].isdigit():
        yield plain
    elif plain.isdigit():
        dialling = _dialling(default_region)
        idd = dialling.international_prefix
        if idd and plain.startswith(idd):
            yield "+" + plain[len(idd):]
        else:
            yield "+" + dialling.country_code + plain
            prefix = dialling.national_prefix
            if prefix and plain.startswith(prefix):
                yield "+" + dialling.country_code + plain[len(prefix):]
    parsed = parse_phone(text.strip(), default_region)
    if parsed.e164:
        yield parsed.e164


def looks_like_phone(text: str) -> bool:
    """True for input a person would mean as a phone number: mostly digits, at least three of them."""
    stripped = _FORMATTING.sub("", from_tel_uri(text)).removeprefix("+")
    stripped = re.sub(r"(?i)(ext\.?|x|#)\d*$", "", stripped)
    return len(stripped) >= 3 and stripped.isdigit()


def numbers_in(text: str, default_region: str) -> list[str]:
    """The E.164 form of every valid phone number mentioned in ``text``, in order, without repeats."""
    found = (phonenumbers.format_number(m.number, PhoneNumberFormat.E164)
             for m in phonenumbers.PhoneNumberMatcher(text, default_region))
    return list(dict.fromkeys(found))
