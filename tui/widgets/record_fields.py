"""Form fields made of several inputs: a phone number (as typed, its region, its extension, and what it reads as,
live), and the rows of a contact's phones, emails and social handles."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, Select, Static, Switch

from core.models import EmailKind, PhoneKind, SocialNetwork
from core.phones import has_number, is_region, read_number

SECTIONS = {
    "phones": ("Phones", [k.value for k in PhoneKind], "Add phone"),
    "emails": ("Emails", [k.value for k in EmailKind], "Add email"),
    "socials": ("Social handles", [k.value for k in SocialNetwork], "Add handle"),
}


def reading(raw: str, region: str, extension: str, default_region: str) -> Text:
    """What a typed number will be stored as, or why it will not be found by calls: shown as it is typed."""
    if not raw.strip():
        return Text("")
    if not has_number(raw):
        return Text("⚠ not a phone number: it needs digits, more than a country code", "bold red")
    if region.strip() and not is_region(region.strip()):
        return Text(f"⚠ {region.strip()!r} is not a region: two letters such as US, GB, DE", "bold red")
    parsed = read_number(raw, region.strip().upper() or None, default_region)  # exactly as saving will read it
    if parsed.e164 is None:
        where = region.strip().upper() or default_region
        return Text(f"⚠ not a number in {where}: kept as typed, but calls from it will not find this record; "
                    "set its region", "bold yellow")
    shown = f"→ {parsed.e164} · {parsed.region}"
    if parsed.extension or extension.strip():
        shown += f" · ext. {parsed.extension or extension.strip()}"
    return Text(shown, "green")


class PhoneInput(Vertical):
    """One number: as typed, its region (blank: the directory's) and extension, and what it reads as."""

    def __init__(self, phone: dict[str, Any] | None, default_region: str, **kwargs: Any):
        super().__init__(classes="phone-input", **kwargs)
        self.stored = phone or {}  # fields the form does not show, kept while the number is unchanged
        self.default_region = default_region

    def compose(self) -> ComposeResult:
        stored = self.stored
        with Horizontal(classes="phone-fields"):
            yield Input(stored.get("raw", ""), classes="text", placeholder="number, as you would dial it")
            yield Input(stored.get("region") or "", classes="region", placeholder=self.default_region,
                        max_length=2)
            yield Input(stored.get("extension") or "", classes="extension", placeholder="ext.")
        yield Static("", classes="phone-reading")

    def on_mount(self) -> None:
        self.show_reading()

    @on(Input.Changed)
    def show_reading(self) -> None:
        raw, region, extension = (self.query_one(f".{part}", Input).value for part in ("text", "region", "extension"))
        self.query_one(".phone-reading", Static).update(reading(raw, region, extension, self.default_region))

    def value(self) -> dict[str, Any] | None:
        raw = self.query_one(".text", Input).value.strip()
        if not raw:
            return None
        region = self.query_one(".region", Input).value.strip().upper() or None
        extension = self.query_one(".extension", Input).value.strip() or None
        kept = self.stored if self.stored.get("raw") == raw else {}
        return {**kept, "raw": raw, "region": region, "extension": extension}


class ListRow(Vertical):
    """One phone, email or social handle: its kind, its text (a ``PhoneInput`` for phones, with an SMS switch),
    and its errors."""

    def __init__(self, section: str, item: dict[str, Any], default_region: str):
        super().__init__(classes="list-row")
        self.section, self.item, self.default_region = section, item, default_region

    def compose(self) -> ComposeResult:
        kinds = SECTIONS[self.section][1]
        kind_field = "network" if self.section == "socials" else "kind"
        text_field = {"phones": "raw", "emails": "address", "socials": "handle"}[self.section]
        with Horizontal(classes="row-fields"):
            yield Select([(k, k) for k in kinds], value=self.item.get(kind_field, kinds[0]), allow_blank=False,
                         classes="kind")
            if self.section == "phones":
                yield PhoneInput(self.item, self.default_region)
                yield Label("SMS", classes="switch-label")
                yield Switch(bool(self.item.get("sms")), classes="sms")
            else:
                yield Input(self.item.get(text_field, ""), classes="text")
            yield Button("Remove", classes="remove")
        yield Label("", classes="error row-error")

    def value(self) -> dict[str, Any] | None:
        kind = self.query_one(".kind", Select).value
        if self.section == "phones":
            phone = self.query_one(PhoneInput).value()
            return None if phone is None else {**phone, "kind": kind, "sms": self.query_one(".sms", Switch).value}
        text = self.query_one(".text", Input).value.strip()
        if not text:
            return None
        if self.section == "emails":
            return {"kind": kind, "address": text}
        return {"network": kind, "handle": text}

    @on(Button.Pressed, ".remove")
    def remove_row(self) -> None:
        self.remove()
