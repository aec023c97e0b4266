"""Deterministic benchmark records in their stored form: contacts with 2 phones, 1 email and 2 notes each.

The numbers are valid North American and UK numbers, each typed in one of the formats agents and telephony
systems use; their E.164 forms are what ``phonenumbers`` gives for them.
"""

from __future__ import annotations

import random

FIRST = ["Ann", "Zoë", "José", "Liam", "Priya", "Wei", "Amara", "Björn", "Siobhán", "Théo", "Yuki", "Omar", "Grace"]
LAST = ["Lee", "Smith", "García", "Müller", "Tanaka", "Nguyen", "O'Brien", "Kowalski", "Rossi", "Silva", "Patel"]
AREAS = ["212", "415", "312", "617", "206", "512", "303", "404", "305", "702"]
CREATED = "2026-01-05T09:00:00Z"


def number(serial: int) -> str:
    """The E.164 form of the ``serial``-th number; every serial gives a different number."""
    if serial % 10 == 9:  # one in ten is a London number
        return f"+44207{serial // 10:07d}"
    rest = serial // 10
    return f"+1{AREAS[serial % 10]}{200 + rest // 10000 % 800}{rest % 10000:04d}"


def typed(e164: str, style: int) -> str:
    """``e164`` as a person or a telephony integration would type it."""
    if e164.startswith("+44"):
        national = e164[3:]
        return [f"+44 {national[:2]} {national[2:6]} {national[6:]}", e164, f"+44 (0){national[:2]} {national[2:6]} {national[6:]}",
                f"011 44 {national}"][style % 4]
    n = e164[2:]
    return [f"+1 {n[:3]}-{n[3:6]}-{n[6:]}", f"({n[:3]}) {n[3:6]}-{n[6:]}", e164, f"{n[:3]}.{n[3:6]}.{n[6:]}",
            f"1-{n[:3]}-{n[3:6]}-{n[6:]}"][style % 5]


# The custom fields the contacts below carry, as a directory declares them before they are loaded.
FIELDS = ({"key": "customer_id", "label": "Customer ID", "type": "identifier"},
          {"key": "tier", "label": "Tier", "type": "enum",
           "options": [{"value": v} for v in ("Gold", "Silver", "Bronze")]})


def contact(i: int) -> dict:
    rng = random.Random(i)
    first, last = rng.choice(FIRST), rng.choice(LAST)
    phones = []
    for slot, kind in enumerate(("work", "cell")):
        e164 = number(2 * i + slot)
        phone = {"kind": kind, "raw": typed(e164, i + slot), "e164": e164, "region": "GB" if e164.startswith("+44") else "US"}
        if slot and rng.random() < 0.5:
            phone["sms"] = True
        phones.append(phone)
    return {
        "version": 1,
        "created_at": CREATED,
        "modified_at": CREATED,
        "custom_fields": {"customer_id": f"CUS-{i:07d}", "tier": rng.choice(["Gold", "Silver", "Bronze"])},
        "first_name": first,
        "last_name": last,
        "organization_id": 1 + i % 50,
        "phones": phones,
        "emails": [{"address": f"{first.lower()}.{last.lower()}{i}@example.com".encode("ascii", "ignore").decode()}],
    }


def note(contact_id: int, n: int) -> dict:
    return {
        "version": 1,
        "subject_kind": "contact",
        "subject_id": contact_id,
        "text": f"Called about invoice {contact_id * 2 + n}; promised a credit note by Friday.",
        "author": "U0AGENT01",
        "created_at": CREATED,
        "modified_at": CREATED,
    }


def organization(i: int) -> dict:
    return {"version": 1, "created_at": CREATED, "modified_at": CREATED, "name": f"Org {i}"}


def lookup_inputs(size: int, count: int, seed: int = 11) -> list[tuple[str, str]]:
    """``count`` stored numbers, each typed differently from how it was stored: (typed, expected E.164)."""
    rng = random.Random(seed)
    inputs = []
    for _ in range(count):
        serial = rng.randrange(2 * size)
        e164 = number(serial)
        inputs.append((typed(e164, serial + 1 + rng.randrange(3)), e164))
    return inputs
