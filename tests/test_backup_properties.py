"""Any directory survives a JSON Lines backup: export → import into an empty directory → export gives the same
bytes, whatever the names (organizations sharing one), links, notes, divisions and custom fields."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.transfer.files import export_file, import_file
from tests.conftest import ADMIN, open_directory

# text people type: no control or bidi characters (the service refuses them), line breaks only in notes
characters = st.characters(codec="utf-8", exclude_categories=("Cc", "Cf", "Cs", "Zl", "Zp"))
words = st.text(characters, min_size=1,
                max_size=12).filter(lambda text: text.strip() == text and text.strip())
organization_names = st.sampled_from(["Acme", "Acme", "Globex", "Initech", "=HYPERLINK(\"x\")"])  # names repeat
phones = st.sampled_from(["+1 415 555 2671", "020 7946 0958", "ext 4411", "(415) 555-0100 x12", "+44 7911 123456"])
note_texts = st.text(characters | st.just("\n"), min_size=1, max_size=60).filter(str.strip)

contact_fields = st.fixed_dictionaries(
    {"first_name": words, "last_name": words},
    optional={
        "title": words,
        "phones": st.lists(st.builds(lambda raw, kind: {"raw": raw, "kind": kind}, phones,
                                     st.sampled_from(["work", "cell", "home", "other", "fax"])), max_size=3),
        "emails": st.lists(st.builds(lambda n: {"address": f"p{n}@x.example"}, st.integers(0, 3)), max_size=2),
        "division": st.sampled_from(["Home", "EMEA"]),
        "address": st.fixed_dictionaries(
            {"address1": st.lists(words, min_size=1, max_size=3).map("\n".join)}, optional={"city": words}),
        "custom_fields": st.fixed_dictionaries({"tier": st.sampled_from(["Gold", "Silver"])}),
    },
)
directories = st.fixed_dictionaries({
    "organizations": st.lists(organization_names, max_size=4),
    "contacts": st.lists(st.tuples(contact_fields, st.integers(-1, 3), st.lists(note_texts, max_size=2)),
                         max_size=6),
    "deleted": st.lists(st.integers(0, 5), max_size=2),
})


def build(data_dir: Path, plan: dict):
    directory = open_directory(data_dir)
    directory.create_division(ADMIN, "EMEA", "Europe")
    directory.add_custom_field(ADMIN, "contact", {"key": "tier", "label": "Tier", "type": "enum",
                                                  "options": [{"value": "Gold"}, {"value": "Silver"}]})
    organizations = [directory.create(ADMIN, "organization", {"name": name}).id for name in plan["organizations"]]
    contacts = []
    for fields, organization, notes in plan["contacts"]:
        if 0 <= organization < len(organizations):
            fields = {**fields, "organization_id": organizations[organization]}
        contact = directory.create(ADMIN, "contact", fields)
        contacts.append(contact.id)
        for text in notes:
            directory.add_note(ADMIN, "contact", contact.id, text)
    for index in plan["deleted"]:
        if index < len(contacts):
            directory.delete(ADMIN, "contact", contacts.pop(index))
    return directory


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(directories)
def test_any_directory_restores_byte_for_byte(plan):
    with tempfile.TemporaryDirectory() as temporary:
        root = Path(temporary)
        source = build(root / "source", plan)
        backup, again = root / "backup.jsonl", root / "again.jsonl"
        export_file(source, ADMIN, backup)
        target = open_directory(root / "target")
        result = import_file(target, ADMIN, backup)
        assert not result.report.errors, [o.report_line() for o in result.report.errors]
        export_file(target, ADMIN, again)
        assert again.read_bytes() == backup.read_bytes()
        merged = import_file(target, ADMIN, backup)  # the same backup again changes nothing
        assert set(merged.report.counts) == {"unchanged"}
        source.close()
        target.close()
