"""Realistic, deterministic sample data: organizations, contacts from many countries with phones typed in many
formats, notes, relationships and custom fields. The same seed always gives the same directory."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import phonenumbers
from phonenumbers import PhoneNumberFormat, PhoneNumberType

from core.directory import Directory
from core.models import DEFAULT_DIVISION
from core.policy import Actor
from core.text import fold

BATCH = 2000

FIRST_NAMES = [
    "James", "Mary", "Zoë", "José", "Aiko", "Liam", "Olivia", "Noah", "Emma", "Mateo", "Sofía", "Chloé", "Lukas",
    "Hannah", "Priya", "Arjun", "Wei", "Mei", "Oluwaseun", "Amara", "Björn", "Ingrid", "Siobhán", "Seán", "Camille",
    "Théo", "Giulia", "Luca", "Yuki", "Haruto", "Fatima", "Omar", "Ana", "João", "Elif", "Mehmet", "Nadia", "Ivan",
    "Chen", "Sarah", "David", "Laura", "Daniel", "Grace", "Michael", "Aoife", "Renée", "François", "Łukasz", "Zofia",
]
LAST_NAMES = [
    "Smith", "Johnson", "García", "Müller", "Tanaka", "Nguyen", "O'Brien", "Kowalski", "Rossi", "Dubois", "Silva",
    "Patel", "Kim", "Chen", "Okafor", "Andersson", "Novak", "Fernández", "Schmidt", "Yamamoto", "Murphy", "Singh",
    "Lefèvre", "Costa", "Ivanova", "Brown", "Wilson", "Martin", "López", "Hernández", "Jensen", "Øster", "Nakamura",
    "Williams", "Taylor", "Moreau", "Bianchi", "Santos", "Kaya", "Ali", "Cohen", "Larsen", "Walsh", "Byrne",
]
COMPANY_WORDS = [
    "Acme", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Oracle", "Vertex", "Nimbus", "Quantum", "Harbor",
    "Summit", "Northwind", "Contoso", "Fabrikam", "Tailspin", "Litware", "Adventure", "Blue Yonder", "Coho",
    "Alpine", "Lakeside", "Redwood", "Sterling", "Pioneer", "Atlas", "Beacon", "Cobalt", "Evergreen", "Falcon",
]
COMPANY_SUFFIXES = ["Corp", "Inc", "GmbH", "Ltd", "S.A.", "Logistics", "Telecom", "Health", "Bank", "Towing", "Labs"]
INDUSTRIES = ["Telecommunications", "Healthcare", "Banking", "Retail", "Logistics", "Manufacturing", "Insurance"]
TITLES = ["Purchasing Manager", "CTO", "Support Lead", "Office Manager", "Network Engineer", "CFO", "Buyer", None]
NOTES = [
    "Called about invoice {n}; promised a credit note by Friday.",
    "Prefers email over phone. Available mornings only.",
    "Escalated ticket #{n} to tier 2; customer was patient.",
    "Met at the customer conference; interested in the premium plan.",
    "Asked not to be called during lunch (12-2pm local time).",
    "Renewal due next quarter; discussed a 10% discount.",
    "Reported dropped calls on the SBC since the firmware upgrade.",
]
ACCOUNT_MANAGERS = ["Bob Lee", "Carmen Ortiz", "Dana Fox", "Eli Brandt", "Farah Haddad"]
REGIONS = ["US", "US", "US", "GB", "DE", "FR", "AU", "IN", "BR", "JP", "MX", "ES", "IE", "CA", "NL", "SG", "ZA"]
CONTACT_FIELDS: list[dict[str, Any]] = [
    {"key": "customer_id", "label": "Customer ID", "type": "identifier"},
    {"key": "tier", "label": "Account tier", "type": "enum",
     "options": [{"value": "Gold"}, {"value": "Silver"}, {"value": "Bronze"}]},
    {"key": "languages", "label": "Languages", "type": "tag"},
    {"key": "vip", "label": "VIP", "type": "checkbox"},
]
ORGANIZATION_FIELDS: list[dict[str, Any]] = [
    {"key": "account_id", "label": "Account ID", "type": "identifier"},
    {"key": "support_level", "label": "Support level", "type": "enum",
     "options": [{"value": "Standard"}, {"value": "Premium"}, {"value": "Enterprise"}]},
    {"key": "sbc_model", "label": "SBC model", "type": "text"},
    {"key": "contract_end", "label": "Contract end", "type": "date"},
]


@dataclass(frozen=True)
class _Template:
    region: str
    country_code: int
    national_number: str


def _templates() -> list[_Template]:
    """One per distinct number range (in some regions mobile and fixed-line examples share one)."""
    found: dict[tuple[int, str], _Template] = {}
    for region in sorted(set(REGIONS)):
        for kind in (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE):
            example = phonenumbers.example_number_for_type(region, kind)
            assert example is not None and example.country_code is not None  # every region has examples
            national = str(example.national_number)
            found.setdefault((example.country_code, national[:-5]), _Template(region, example.country_code, national))
    return list(found.values())


class PhoneFactory:
    """Distinct valid numbers, each typed the way people in its country (or a CRM export) would."""

    def __init__(self, rng: random.Random):
        self._rng = rng
        self._templates = _templates()
        self._count = 0

    def next(self, kind: str) -> dict:
        template = self._templates[self._count % len(self._templates)]
        serial = self._count // len(self._templates)
        if template.region == "US":
            area = ["212", "415", "312", "617", "206", "512", "303", "404"][self._count % 8]
            line = self._count // 8
            national = f"{area}{200 + line // 10000 % 800}{line % 10000:04d}"
        else:
            national = template.national_number[:-5] + f"{serial % 100000:05d}"
        self._count += 1
        number = phonenumbers.parse(f"+{template.country_code}{national}", None)
        style = self._rng.random()
        if style < 0.4:
            return {"kind": kind, "raw": phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)}
        if style < 0.6:
            return {"kind": kind, "raw": phonenumbers.format_number(number, PhoneNumberFormat.E164)}
        raw = phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)
        if style < 0.7 and template.region == "US":
            raw += f" x{self._rng.randint(10, 999)}"
        return {"kind": kind, "raw": raw, "region": template.region}


def _email(first: str, last: str, domain: str, serial: int) -> str:
    local = "".join(c for c in fold(f"{first}.{last}") if c.isascii() and (c.isalnum() or c == "."))  # Théo: theo
    return f"{local or 'contact'}{serial}@{domain}"


def _domain(name: str) -> str:
    return "".join(c for c in fold(name) if c.isascii() and c.isalnum()) + ".example"


def populate(
    directory: Directory,
    actor: Actor,
    contacts: int = 500,
    seed: int = 7,
    notes_per_contact: int = 2,
    progress: Callable[[int, int], None] | None = None,
) -> None:
    """Fill an empty directory with ``contacts`` contacts (and one organization per 20 of them)."""
    rng = random.Random(seed)
    phones = PhoneFactory(rng)
    for field in CONTACT_FIELDS:
        directory.add_custom_field(actor, "contact", field)
    for field in ORGANIZATION_FIELDS:
        directory.add_custom_field(actor, "organization", field)
    if directory.division_problem("EMEA") is not None:
        directory.create_division(actor, "EMEA", "Customers served from Dublin")

    organizations = max(1, contacts // 20)
    organization_ids: list[int] = []
    for start in range(0, organizations, BATCH):
        with directory.batch():
            for i in range(start, min(start + BATCH, organizations)):
                organization_ids.append(_organization(directory, actor, rng, phones, i))
    for start in range(0, contacts, BATCH):
        with directory.batch():
            for i in range(start, min(start + BATCH, contacts)):
                _contact(directory, actor, rng, phones, i, organization_ids, notes_per_contact)
        if progress:
            progress(min(start + BATCH, contacts), contacts)


def _organization(directory: Directory, actor: Actor, rng: random.Random, phones: PhoneFactory, i: int) -> int:
    name = f"{rng.choice(COMPANY_WORDS)} {rng.choice(COMPANY_SUFFIXES)}"
    if i >= len(COMPANY_WORDS):
        name += f" {i}"
    organization = directory.create(actor, "organization", {
        "name": name,
        "division": "EMEA" if i % 5 == 4 else DEFAULT_DIVISION,
        "websites": [f"https://www.{_domain(name)}"],
        "phone": phones.next("work"),
        "industry": rng.choice(INDUSTRIES),
        "tags": rng.sample(["partner", "reseller", "strategic", "smb", "enterprise"], 2),
        "external_ids": [{"source": "salesforce", "value": f"001{i:015d}"}],
        "custom_fields": {
            "account_id": f"ACC-{i:06d}",
            "support_level": rng.choice(["Standard", "Premium", "Enterprise"]),
            "sbc_model": rng.choice(["AudioCodes Mediant 800", "Ribbon SBC 1000", "Oracle AP 3900"]),
            "contract_end": f"{2027 + i % 3}-{1 + i % 12:02d}-28",
        },
    })
    assert organization.id is not None
    if i % 3 == 0:
        directory.add_relationship(actor, organization.id, rng.choice(ACCOUNT_MANAGERS), "Account Manager")
    return organization.id


def _contact(directory: Directory, actor: Actor, rng: random.Random, phones: PhoneFactory, i: int,
             organization_ids: list[int], notes_per_contact: int) -> None:
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    organization_id = rng.choice(organization_ids) if rng.random() < 0.8 else None
    division = DEFAULT_DIVISION
    domain = "mail.example"
    if organization_id is not None:
        organization = directory.get_organization(actor, organization_id)
        division = organization.division
        domain = _domain(organization.name)
    data: dict[str, Any] = {
        "first_name": first,
        "last_name": last,
        "title": rng.choice(TITLES),
        "division": division,
        "organization_id": organization_id,
        "phones": [phones.next("work"), phones.next("cell")],
        "emails": [{"kind": "work", "address": _email(first, last, domain, i)}],
        "survey_opt_out": rng.random() < 0.1,
        "custom_fields": {
            "customer_id": f"CUS-{i:07d}",
            "tier": rng.choice(["Gold", "Silver", "Bronze"]),
        },
    }
    if rng.random() < 0.5:
        data["socials"] = [{"network": "twitter", "handle": f"@{fold(first)[:3]}{i}".encode("ascii", "ignore").decode()}]
    if rng.random() < 0.3:
        data["external_system_url"] = f"https://crm.example/contacts/{i}"
    data["phones"][1]["sms"] = rng.random() < 0.5
    contact_id = directory.create(actor, "contact", data).id
    assert contact_id is not None
    for n in range(notes_per_contact):
        directory.add_note(actor, "contact", contact_id, rng.choice(NOTES).format(n=1000 + i * 3 + n))
