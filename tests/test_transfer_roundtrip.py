"""Export → import → the same records: JSON Lines losslessly (ids too, into an empty directory), CSV and vCard
for every field they carry; and vCards as address books write them."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import orjson
import pytest

from core.bootstrap import open_directory as open_data_dir
from core.demo import populate
from core.errors import PermissionDenied, ValidationFailed
from core.policy import Actor
from core.transfer.files import ImportOptions, export_file, import_file
from tests.conftest import ADMIN, Clock, open_directory, store, store_files

SYSTEM = {"id", "version", "created_at", "modified_at", "organization_id"}


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    """A directory with every kind of thing in it: the demo's records plus notes, interactions, a relationship,
    a second division, custom fields of several types, a number that does not parse."""
    directory = open_directory(tmp_path_factory.mktemp("source") / "data")
    populate(directory, ADMIN, 60, seed=3)
    # gaps in the ids, which a restore must keep
    directory.delete(ADMIN, "contact", 5)
    directory.delete(ADMIN, "organization", 2)
    contact = directory.records(ADMIN, "contact", store(directory).ids("contacts")[:1])[0]
    interaction = directory.record_interaction(ADMIN, contact.id, kind="call", channel_id="C1", message_ts="1.2")
    directory.add_note(ADMIN, "contact", contact.id, "Called about the invoice.\nSecond line, \"quoted\".",
                       {"channel_id": "C1", "interaction_id": interaction.id})
    directory.update(ADMIN, "contact", contact.id, {"phones": [*[p.model_dump() for p in contact.phones],
                                                               {"kind": "other", "raw": "ext 4411"}]})
    yield directory
    directory.close()


def content(directory, kind: str) -> list[dict]:
    """Records as a person compares them: every field but ids and times, organization by name."""
    records = directory.records(ADMIN, kind, store(directory).ids(f"{kind}s"))
    names = {o.id: o.name for o in directory.records(ADMIN, "organization", store(directory).ids("organizations"))}
    rows = []
    for record in records:
        row = record.model_dump(mode="json", exclude=SYSTEM)
        if kind == "contact":
            row["organization"] = names.get(record.organization_id)
        rows.append(row)
    return sorted(rows, key=lambda r: orjson.dumps(r, option=orjson.OPT_SORT_KEYS))


def backup_lines(path: Path) -> list[dict]:
    """A backup's lines, but for the times of the Home division (every directory makes its own when it opens)."""
    lines = [orjson.loads(line) for line in path.read_bytes().splitlines()]
    for line in lines:
        if line["type"] == "division" and line["name"] == "Home":
            del line["created_at"], line["modified_at"]
    return lines


def test_jsonl_restores_everything_exactly_into_an_empty_directory(source, tmp_path):
    backup = tmp_path / "backup.jsonl"
    export_file(source, ADMIN, backup)
    target = open_directory(tmp_path / "restored")
    result = import_file(target, ADMIN, backup)
    assert not result.report.errors and result.report.written
    again = tmp_path / "again.jsonl"
    export_file(target, ADMIN, again)
    assert backup_lines(again) == backup_lines(backup)
    contact_id = store(source).ids("contacts")[0]
    assert target.profile(ADMIN, "contact", contact_id).notes[0].text.startswith("Called about the invoice.")
    target.close()


def test_jsonl_into_a_directory_with_records_merges_without_duplicates(source, tmp_path):
    backup = tmp_path / "backup.jsonl"
    export_file(source, ADMIN, backup)
    target = open_directory(tmp_path / "target")
    target.create(ADMIN, "contact", {"first_name": "Already", "last_name": "Here"})
    first = import_file(target, ADMIN, backup)
    assert not first.report.errors
    assert store(target).count("contacts") == store(source).count("contacts") + 1
    assert store(target).count("notes") == store(source).count("notes")
    second = import_file(target, ADMIN, backup)
    assert set(second.report.counts) == {"unchanged"}
    assert store(target).count("notes") == store(source).count("notes")
    target.close()


def test_a_backup_merged_into_another_directory_never_links_to_the_wrong_organization(tmp_path):
    source = open_directory(tmp_path / "source")
    first = source.create(ADMIN, "organization", {"name": "Acme", "industry": "Rockets"})
    second = source.create(ADMIN, "organization", {"name": "Acme", "industry": "Anvils"})
    source.create(ADMIN, "contact", {"first_name": "Road", "last_name": "Runner", "organization_id": first.id,
                                     "emails": [{"address": "beep@acme.example"}]})
    source.create(ADMIN, "contact", {"first_name": "Wile", "last_name": "Coyote", "organization_id": second.id,
                                     "emails": [{"address": "wile@acme.example"}]})
    backup = tmp_path / "backup.jsonl"
    export_file(source, ADMIN, backup)
    later = Clock()
    later.now += timedelta(days=30)  # another directory's records were made at other times
    target = open_data_dir(tmp_path / "target", clock=later)
    theirs = target.create(ADMIN, "organization", {"name": "Acme", "industry": "Groceries"})
    result = import_file(target, ADMIN, backup)
    assert not result.report.errors
    people = {c.last_name: c for c in target.records(ADMIN, "contact", store(target).ids("contacts"))}
    industries = {name: target.get_organization(ADMIN, c.organization_id).industry for name, c in people.items()}
    assert industries == {"Runner": "Rockets", "Coyote": "Anvils"}
    assert target.get_organization(ADMIN, theirs.id).industry == "Groceries"  # untouched
    again = import_file(target, ADMIN, backup)
    assert set(again.report.counts) == {"unchanged"}  # the copies are known by creation time and name now
    source.close()
    target.close()


def test_a_fixed_json_lines_rejects_file_imports_only_the_fixed_lines(directory, tmp_path):
    backup = tmp_path / "in.jsonl"
    lines = [{"type": "contact", "id": 1, "first_name": "Ada", "last_name": "Lovelace"},
             {"type": "contact", "id": 2, "first_name": "Grace"}]
    backup.write_bytes(b"".join(orjson.dumps(line) + b"\n" for line in lines))
    result = import_file(directory, ADMIN, backup)
    [rejected] = [orjson.loads(line) for line in result.rejects.read_bytes().splitlines()]
    assert rejected["import_errors"] == ["contact.last_name: is required"] and rejected["first_name"] == "Grace"
    rejected["last_name"] = "Hopper"
    result.rejects.write_bytes(orjson.dumps(rejected) + b"\n")
    fixed = import_file(directory, ADMIN, result.rejects)
    assert fixed.report.counts == {"create": 1} and fixed.rejects is None
    assert sorted(c.full_name for c in directory.records(ADMIN, "contact", store(directory).ids("contacts"))) == [
        "Ada Lovelace", "Grace Hopper"]


def test_jsonl_export_is_for_admins(tmp_path):
    viewer = open_directory(tmp_path / "v", '[access.default]\nrole = "viewer"\n')
    with pytest.raises(PermissionDenied):
        export_file(viewer, Actor("visitor"), tmp_path / "x.jsonl")
    assert not (tmp_path / "x.jsonl").exists()
    viewer.close()


@pytest.mark.parametrize("name", ["export.csv", "export.vcf", "export4.vcf"])
def test_csv_and_vcard_exports_import_back_to_the_same_records(source, tmp_path, name):
    path = tmp_path / name
    export_file(source, ADMIN, path, vcard_version="4.0" if "4" in name else "3.0")
    target = open_directory(tmp_path / "target")
    for entity in ("contact", "organization"):
        for field in source.schema(entity).fields:
            target.add_custom_field(ADMIN, entity, field.model_dump())
    result = import_file(target, ADMIN, path)
    assert not result.report.errors
    mine, theirs = content(source, "contact"), content(target, "contact")
    if name.endswith(".vcf"):  # a vCard has no place for divisions, custom fields, opt-out or SMS state
        drop = {"division", "custom_fields", "survey_opt_out"}
        mine = [{k: v for k, v in r.items() if k not in drop} for r in mine]
        theirs = [{k: v for k, v in r.items() if k not in drop} for r in theirs]
        # and numbers typed in another country's national format are written internationally
        for row in mine + theirs:
            row["phones"] = [{"kind": p["kind"], "e164": p["e164"] or p["raw"], "extension": p["extension"]}
                             for p in row["phones"]]
    else:  # a CSV import puts everything in the division chosen for it, and a row has one Country Code, so
        # numbers typed in national formats of two countries come back with one of them written internationally
        mine = [{**r, "division": "Home"} for r in mine]
        mixed = {r["custom_fields"]["customer_id"] for r in mine
                 if len({p["region"] for p in r["phones"] if not p["raw"].startswith("+")}) > 1}
        assert 0 < len(mixed) < len(mine) / 10
        for row in mine + theirs:
            if row["custom_fields"]["customer_id"] in mixed:
                row["phones"] = [{**p, "raw": p["e164"]} for p in row["phones"]]
    assert sorted(map(orjson.dumps, theirs)) == sorted(map(orjson.dumps, mine))
    again = import_file(target, ADMIN, path)
    assert set(again.report.counts) == {"unchanged"}
    target.close()


def test_a_failed_export_leaves_no_file(source, tmp_path):
    with pytest.raises(ValidationFailed):
        export_file(source, ADMIN, tmp_path / "out.vcf", vcard_version="2.1")
    assert list(tmp_path.iterdir()) == []


APPLE = """BEGIN:VCARD\r
VERSION:3.0\r
PRODID:-//Apple Inc.//iPhone OS 17.0//EN\r
N:Lovelace;Ada;Augusta;Lady;\r
FN:Lady Ada Augusta Lovelace\r
ORG:Analytical Engines Ltd;Research\r
TITLE:Countess\r
item1.EMAIL;type=INTERNET;type=pref:ada@example.com\r
item1.X-ABLabel:_$!<Other>!$_\r
TEL;type=CELL;type=VOICE;type=pref:+44 7911 123456\r
TEL;type=WORK;type=VOICE:020 7946 0958\r
ADR;type=HOME;type=pref:;;12 St James's Square;London;;SW1Y 4JH;United Kingdom\r
NOTE:Prefers email\\, not calls.\r
X-SOCIALPROFILE;type=twitter:https://twitter.com/ada_l\r
END:VCARD\r
BEGIN:VCARD\r
VERSION:3.0\r
N:;;;;\r
FN:Analytical Engines Ltd\r
ORG:Analytical Engines Ltd;\r
X-ABShowAs:COMPANY\r
END:VCARD\r
"""

GOOGLE_V4 = """BEGIN:VCARD
VERSION:4.0
FN:Grace Hopper
N:Hopper;Grace;;;
TEL;VALUE=uri;TYPE="voice,cell";PREF=1:tel:+1-415-555-2671;ext=12
EMAIL;TYPE=work:grace@example.com
UID:urn:uuid:4fbe8971-0bc3-424c-9c26-36c3e1eff6b1
END:VCARD
BEGIN:VCARD
VERSION:4.0
FN:Mononym
END:VCARD
"""


def test_vcards_as_an_iphone_writes_them(directory, tmp_path):
    path = tmp_path / "ada.vcf"
    path.write_text(APPLE, encoding="utf-8")
    result = import_file(directory, ADMIN, path, ImportOptions())
    assert not result.report.errors and result.report.counts == {"create": 1, "unchanged": 1}
    [ada] = directory.records(ADMIN, "contact", store(directory).ids("contacts"))
    assert (ada.salutation, ada.first_name, ada.middle_name, ada.last_name, ada.title) == (
        "Lady", "Ada", "Augusta", "Lovelace", "Countess")
    assert [(p.kind.value, p.e164) for p in ada.phones] == [("cell", "+447911123456"), ("work", None)]
    assert [e.address for e in ada.emails] == ["ada@example.com"]
    assert ada.address.city == "London" and ada.socials[0].handle == "ada_l"
    assert directory.get_organization(ADMIN, ada.organization_id).name == "Analytical Engines Ltd"
    assert store(directory).count("organizations") == 1  # the company card is the organization the contact names
    assert [n.text for n in directory.notes(ADMIN, "contact", ada.id)] == ["Prefers email, not calls."]
    import_file(directory, ADMIN, path)
    assert len(directory.notes(ADMIN, "contact", ada.id)) == 1  # importing again does not repeat the note


def test_vcard_4_tel_uris_and_a_card_without_a_last_name(directory, tmp_path):
    path = tmp_path / "google.vcf"
    path.write_text(GOOGLE_V4, encoding="utf-8")
    result = import_file(directory, ADMIN, path)
    [grace] = directory.records(ADMIN, "contact", store(directory).ids("contacts"))
    assert [(p.kind.value, p.e164, p.extension) for p in grace.phones] == [("cell", "+14155552671", "12")]
    assert grace.external_ids[0].value == "urn:uuid:4fbe8971-0bc3-424c-9c26-36c3e1eff6b1"
    [error] = result.report.errors
    assert error.line == 9 and str(error.problems[0]) == "N: is required"
    assert result.rejects.read_text(encoding="utf-8").count("BEGIN:VCARD") == 1


def test_a_file_that_is_not_a_vcard_is_refused(directory, tmp_path, data_dir):
    before = store_files(data_dir)
    path = tmp_path / "x.vcf"
    path.write_text("Name,Phone\nAda,123\n", encoding="utf-8")
    with pytest.raises(ValidationFailed) as error:
        import_file(directory, ADMIN, path)
    assert "holds no vCard" in str(error.value)
    assert store_files(data_dir) == before
