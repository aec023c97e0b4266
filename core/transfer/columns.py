"""The CSV columns import reads and export writes: Genesys Cloud's bulk-import names, extended to every field.

A column is ``(entity, target)``: ``target`` says where its text goes, for example ``first_name``,
``address.city``, ``phones:cell`` (a list field and the kind of item), ``custom:tier`` or ``key`` (the record's
id in the system the file comes from). Header names are matched case-insensitively; a mapping file renames the
columns of any other export (Google Contacts, Outlook) to these.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from core.errors import ValidationFailed
from core.text import fold

COUNTRY_CODE = "Country Code"
ERRORS_COLUMN = "Import Errors"
CUSTOM_PREFIX = {"contact": "custom.", "organization": "account.custom."}
NOTE_SEPARATOR = "\n\n---\n\n"  # between the notes of one record in its Notes cell
# What a spreadsheet runs as a formula when a cell starts with it (even "+1 415 555 2671": Excel shows #NAME?).
_FORMULA = re.compile(r"^'*[=+\-@\t\r]")
_FORMULA_STARTS = frozenset("'=+-@\t\r")
_QUOTED_FORMULA = re.compile(r"^'+[=+\-@\t\r]")


LIST_SEPARATOR = ";"  # between the items of a list cell; an item's own ";" is written "\;", its "\" as "\\"
_LIST_ITEM = re.compile(r"((?:[^\\;]|\\.)*)(?:;|$)")


def join_list(items: list[str]) -> str:
    return "; ".join(item.replace("\\", "\\\\").replace(";", "\\;") for item in items)


def split_list(text: str, separator: str = LIST_SEPARATOR) -> list[str]:
    r"""The items of a list cell; with our separator, an escaped "\;" is part of an item (another exporter's
    separator, such as Google's " ::: ", has no escapes)."""
    if separator != LIST_SEPARATOR or "\\" not in text:
        return [item.strip() for item in text.split(separator) if item.strip()]
    items = (re.sub(r"\\([\\;])", r"\1", m.group(1)).strip() for m in _LIST_ITEM.finditer(text) if m.group(0))
    return [item for item in items if item]


def to_cell(text: str) -> str:
    """``text`` as a cell a spreadsheet shows and never runs: a quote before a formula's first character."""
    return "'" + text if text and text[0] in _FORMULA_STARTS and _FORMULA.match(text) else text


def from_cell(text: str) -> str:
    """The text ``to_cell`` made a cell of (a cell no export wrote is read as it is, unless it looks quoted)."""
    return text[1:] if _QUOTED_FORMULA.match(text) else text


@dataclass(frozen=True)
class Column:
    name: str
    entity: str  # "contact", "organization", or "row" for what applies to the whole row
    target: str


def _columns() -> list[Column]:
    contact = [
        ("Contact ID", "key"),
        ("Contact External IDs", "external_ids"),
        ("Contact First Name", "first_name"),
        ("Contact Middle Name", "middle_name"),
        ("Contact Last Name", "last_name"),
        ("Contact Salutation", "salutation"),
        ("Contact Title", "title"),
        *((f"Contact {kind.title()} Phone", f"phones:{kind}") for kind in ("work", "cell", "home", "other")),
        ("Contact Fax", "phones:fax"),
        ("Contact SMS Phones", "sms"),
        *((f"Contact {kind.title()} Email", f"emails:{kind}") for kind in ("work", "personal", "other")),
        *((f"Contact {label} ID", f"socials:{network}") for label, network in (
            ("Twitter", "twitter"), ("WhatsApp", "whatsapp"), ("Facebook", "facebook"), ("LINE", "line"),
            ("Instagram", "instagram"))),
        ("Contact Survey Opt Out", "survey_opt_out"),
        ("Contact External System URL", "external_system_url"),
        ("Contact Notes", "notes"),
    ]
    organization = [
        ("Account ID", "key"),
        ("Account External IDs", "external_ids"),
        ("Account Name", "name"),
        ("Account Phone", "phone"),
        ("Account Fax", "fax"),
        ("Account Industry", "industry"),
        ("Account Type", "company_type"),
        ("Account Websites", "websites"),
        ("Account Tags", "tags"),
        ("Account External System URL", "external_system_url"),
        ("Account Notes", "notes"),
    ]
    address = [("Address 1", "address1"), ("Address 2", "address2"), ("City", "city"), ("State", "state"),
               ("Postal Code", "postal_code"), ("Country", "country_code")]
    return [
        *(Column(name, "contact", target) for name, target in contact),
        *(Column(f"Contact {name}", "contact", f"address.{target}") for name, target in address),
        *(Column(name, "organization", target) for name, target in organization),
        *(Column(f"Account {name}", "organization", f"address.{target}") for name, target in address),
        Column(COUNTRY_CODE, "row", "region"),
    ]


COLUMNS = _columns()
# Names other exports and Genesys's older and newer importers use for the same columns.
ALIASES = {
    "External ID": "Contact ID",
    "Contact Id": "Contact ID",
    "Contact Mobile Phone": "Contact Cell Phone",
    "Contact Address Line 1": "Contact Address 1",
    "Contact Address Line 2": "Contact Address 2",
    "Contact Zip": "Contact Postal Code",
    "Contact Country Code": "Contact Country",
    "Account Website": "Account Websites",
    "Account Address Line 1": "Account Address 1",
    "Account Address Line 2": "Account Address 2",
    "Account Zip": "Account Postal Code",
}
_BY_NAME = {fold(c.name): c for c in COLUMNS} | {fold(a): next(c for c in COLUMNS if c.name == n)
                                                  for a, n in ALIASES.items()}


def column_named(header: str) -> Column | None:
    """The column a header names (any case), including ``custom.<key>`` and ``account.custom.<key>``."""
    folded = fold(header.strip())
    for entity, prefix in sorted(CUSTOM_PREFIX.items(), key=lambda item: -len(item[1])):
        if folded.startswith(prefix) and len(folded) > len(prefix):
            return Column(header.strip(), entity, "custom:" + header.strip()[len(prefix):].lower())
    return _BY_NAME.get(folded)


@dataclass(frozen=True)
class Labelled:
    """Numbered value columns whose kind is in a label column beside them (Google's ``Phone 1 - Value`` and
    ``Phone 1 - Label``): ``value`` is a pattern with one group (the number), ``labels`` the label headers with
    ``{n}`` for it, ``field`` the list they fill (``phones`` or ``emails``)."""

    value: str
    labels: tuple[str, ...]
    field: str


@dataclass(frozen=True)
class Mapping:
    """Headers of another export → the columns above (or ``custom.<key>``): a mapping file, or an exporter's
    preset. ``addresses`` are groups of address columns (their header → ours) in order of preference: a row's
    address is the first group it fills (Outlook's Business, Home and Other addresses)."""

    columns: dict[str, str]
    list_separator: str = LIST_SEPARATOR
    labelled: tuple[Labelled, ...] = ()
    addresses: tuple[dict[str, str], ...] = ()
    source: str | None = None  # the system the key columns' ids belong to
    repeats: frozenset[str] = frozenset()  # headers (folded) whose values other columns hold too: not reported
    blanks: frozenset[str] = frozenset()  # what the exporter writes in a cell that has no value (folded)

    @classmethod
    def load(cls, path: Path) -> Mapping:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
            raise ValidationFailed.one("mapping", str(path), f"cannot be read as a TOML mapping file: {error}") from None
        columns = data.get("columns")
        if not isinstance(columns, dict) or not all(isinstance(v, str) for v in columns.values()):
            raise ValidationFailed.one("mapping", str(path), 'needs a [columns] table of "their header" = "our column"')
        unknown = [target for target in columns.values() if column_named(target) is None]
        if unknown:
            raise ValidationFailed.one(
                "mapping", unknown[0],
                f"in {path} is not a column the importer reads", fix="columns",
            )
        separator = data.get("list_separator", ";")
        return cls({fold(k): v for k, v in columns.items()}, separator)

    def rename(self, header: str) -> str:
        return self.columns.get(fold(header.strip()), header)
