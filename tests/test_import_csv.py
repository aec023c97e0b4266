"""CSV import as an admin runs it on a real directory: matching, dry runs, rejects, strict, bad files."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from core.errors import PermissionDenied, ValidationFailed
from core.policy import Actor
from core.transfer.files import ImportOptions, import_file
from tests.conftest import ADMIN, open_directory, store, store_files

HEADER = ("Contact ID,Contact First Name,Contact Last Name,Contact Work Phone,Contact Cell Phone,Contact Work Email,"
          "Country Code,Account ID,Account Name")


def write(tmp_path: Path, text: str, name: str = "contacts.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def contacts(directory) -> dict[str, object]:
    return {c.full_name: c for c in directory.records(ADMIN, "contact", store(directory).ids("contacts"))}


def test_rows_create_contacts_linked_to_their_organization(directory, tmp_path):
    path = write(tmp_path, HEADER + "\n"
                 "C1,Ada,Lovelace,020 7946 0958,,ada@example.com,GB,A1,Analytical Engines\n"
                 "C2,Grace,Hopper,+1 415 555 2671 x 12,(415) 555-0100,grace@example.com,,A1,Analytical Engines\n"
                 ",,,,,,,A2,Babbage & Co\n")
    result = import_file(directory, ADMIN, path)
    assert result.report.counts == {"create": 3}
    people = contacts(directory)
    ada, grace = people["Ada Lovelace"], people["Grace Hopper"]
    assert ada.phones[0].e164 == "+442079460958" and ada.phones[0].raw == "020 7946 0958"
    assert [(p.kind.value, p.e164, p.extension, p.sms) for p in grace.phones] == [
        ("work", "+14155552671", "12", False), ("cell", "+14155550100", None, False)]
    organization = directory.get_organization(ADMIN, ada.organization_id)
    assert organization.name == "Analytical Engines" and grace.organization_id == organization.id
    assert [(i.source, i.value) for i in organization.external_ids] == [("import", "A1")]
    assert directory.lookup(ADMIN, "+44 20 7946 0958").contacts[0].full_name == "Ada Lovelace"
    assert directory.search(ADMIN, "Babbage", kinds=["organization"]).total == 1


def test_reimporting_the_same_file_changes_nothing(directory, tmp_path, data_dir):
    path = write(tmp_path, HEADER + "\nC1,Ada,Lovelace,020 7946 0958,,ada@example.com,GB,A1,Analytical Engines\n")
    import_file(directory, ADMIN, path)
    before = store_files(data_dir)
    again = import_file(directory, ADMIN, path)
    assert again.report.counts == {"unchanged": 1}
    assert store_files(data_dir) == before
    assert store(directory).count("contacts") == 1 and store(directory).count("organizations") == 1


def test_a_row_that_moves_a_contact_to_another_account_updates_it(directory, tmp_path):
    import_file(directory, ADMIN, write(tmp_path, HEADER + "\nC1,Ada,Lovelace,,,ada@example.com,,A1,Analytical\n"))
    moved = import_file(directory, ADMIN, write(tmp_path, HEADER + "\nC1,Ada,Lovelace,,,ada@example.com,,B2,Babbage\n"))
    assert moved.report.counts == {"update": 1}
    ada = contacts(directory)["Ada Lovelace"]
    assert directory.get_organization(ADMIN, ada.organization_id).name == "Babbage"


@pytest.mark.parametrize(("order", "expected"), [("external_id,email,phone", "C1"), ("email,phone", "C1"),
                                                   ("phone", "C1")])
def test_rows_update_the_contact_they_match(directory, tmp_path, order, expected):
    import_file(directory, ADMIN, write(tmp_path, HEADER + "\nC1,Ada,Lovelace,020 7946 0958,,ada@example.com,GB,,\n"))
    contact_id = store(directory).ids("contacts")[0]
    directory.set_sms(ADMIN, contact_id, "+442079460958", True)
    # Another export of the same person: a different key column, the number written another way.
    update = write(tmp_path, HEADER + "\nC1,Ada,King,+44 20 7946 0958,07700 900123,ada@example.com,GB,,\n", "u.csv")
    result = import_file(directory, ADMIN, update, ImportOptions(match=tuple(order.split(","))))
    assert result.report.counts == {"update": 1}
    [ada] = directory.records(ADMIN, "contact", store(directory).ids("contacts"))
    assert ada.id == contact_id and ada.last_name == "King"
    assert [(p.raw, p.sms) for p in ada.phones] == [("020 7946 0958", True), ("07700 900123", False)]
    assert [i.value for i in ada.external_ids] == [expected]
    assert directory.history(ADMIN, "contact", ada.id)[0].changes["last_name"] == ["Lovelace", "King"]


def test_match_order_decides_which_contact_a_row_updates(directory, tmp_path):
    import_file(directory, ADMIN, write(tmp_path, HEADER + "\n"
                                        ",Ada,Email,,,ada@example.com,,,\n"
                                        ",Ada,Phone,+1 415 555 2671,,,,,\n"))
    row = write(tmp_path, HEADER + "\n,Ada,Both,+1 415 555 2671,,ada@example.com,,,\n", "both.csv")
    import_file(directory, ADMIN, row, ImportOptions(match=("phone", "email"), dry_run=False))
    assert set(contacts(directory)) == {"Ada Email", "Ada Both"}


def test_rows_repeated_in_a_file_are_reported_not_imported_twice(directory, tmp_path):
    path = write(tmp_path, HEADER + "\n"
                 "C1,Ada,Lovelace,,,ada@example.com,,,\n"
                 "C9,Ada,Again,,,ADA@example.com,,,\n")
    result = import_file(directory, ADMIN, path)
    [error] = result.report.errors
    assert error.line == 3
    assert str(error.problems[0]) == "row: repeats line 2: both rows are contact 1 (got 'email ADA@example.com')"
    assert store(directory).count("contacts") == 1


def test_rows_sharing_a_key_the_match_order_leaves_out_are_reported_too(directory, tmp_path):
    path = write(tmp_path, HEADER + "\n"
                 "C1,Ada,Lovelace,,,ada@example.com,,,\n"
                 "C9,Ada,Again,,,ada@example.com,,,\n")
    result = import_file(directory, ADMIN, path, ImportOptions(match=("phone",)))
    [error] = result.report.errors
    assert str(error.problems[0]) == ("row: repeats line 2: both rows are the same contact (same email) "
                                      "(got 'ada@example.com')")
    assert store(directory).count("contacts") == 1


def test_dry_run_reports_each_row_and_writes_nothing(directory, tmp_path, data_dir):
    directory.add_custom_field(ADMIN, "contact", {"key": "tier", "label": "Tier", "type": "enum",
                                                  "options": [{"value": "Gold"}, {"value": "Silver"}]})
    before = store_files(data_dir)
    path = write(tmp_path, HEADER + ",custom.tier\n"
                 "C1,Ada,Lovelace,,,ada@example.com,,,,gold\n"
                 "C2,Bad,,12ab,,not-an-email,,,,Platinum\n")
    result = import_file(directory, ADMIN, path, ImportOptions(dry_run=True))
    assert [o.action for o in result.report.outcomes] == ["create", "error"]
    assert result.report.outcomes[0].report_line() == "line 2: create contact Ada Lovelace (contact 1)"
    problems = {p.field: p for p in result.report.errors[0].problems}
    assert set(problems) == {"Contact Last Name", "Contact Work Email", "custom.tier"}
    assert problems["custom.tier"].value == "Platinum" and problems["custom.tier"].message == "'Tier' must be one of 'Gold', 'Silver'"
    assert problems["Contact Last Name"].message == "is required"
    assert store_files(data_dir) == before and result.rejects is None and not result.report.written


def test_good_rows_are_imported_and_bad_ones_go_to_a_rejects_file_that_imports_once_fixed(directory, tmp_path):
    path = write(tmp_path, HEADER + "\n"
                 "C1,Ada,Lovelace,,,ada@example.com,,,\n"
                 "C2,Grace,,,,grace@example.com,,,\n"
                 "C3,Alan,Turing,,,/o=ExchangeLabs/ou=Exchange Administrative Group/cn=Recipients/cn=alan,,,\n")
    result = import_file(directory, ADMIN, path)
    assert result.report.counts == {"create": 2, "error": 1}
    [alan] = [o for o in result.report.outcomes if o.line == 4]
    assert alan.action == "create" and len(alan.warnings) == 1
    assert alan.warnings[0].startswith("Contact Work Email: '/o=ExchangeLabs/ou=Exchange Administrative Group/cn="
                                       "Recipients/cn=alan' left out: is not a valid email address")
    assert "/o=ExchangeLabs" in alan.warnings[0]
    assert contacts(directory)["Alan Turing"].emails == []
    assert result.rejects == tmp_path / "contacts.rejects.csv"
    rows = list(csv.DictReader(result.rejects.open(encoding="utf-8")))
    assert [r["Contact ID"] for r in rows] == ["C2"]
    assert rows[0]["Import Errors"] == "line 3: Contact Last Name: is required"
    rows[0]["Contact Last Name"] = "Hopper"
    with result.rejects.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    fixed = import_file(directory, ADMIN, result.rejects)
    assert fixed.report.counts == {"create": 1} and fixed.rejects is None
    assert set(contacts(directory)) == {"Ada Lovelace", "Grace Hopper", "Alan Turing"}


def test_every_problem_of_a_row_is_reported_at_once(directory, tmp_path):
    path = write(tmp_path, "Contact First Name,Contact Last Name,Contact Work Email,Contact Survey Opt Out,"
                           "Contact External System URL,Country Code\n"
                           "Ada,,ada@,maybe,ftp://x,XX\n")
    [outcome] = import_file(directory, ADMIN, path).report.errors
    assert {p.field for p in outcome.problems} == {"Contact Last Name", "Contact Work Email",
                                                   "Contact Survey Opt Out", "Contact External System URL",
                                                   "Country Code"}


def test_strict_rejects_a_row_with_a_value_that_would_be_left_out(directory, tmp_path, data_dir):
    before = store_files(data_dir)
    path = write(tmp_path, HEADER + "\nC1,Ada,Lovelace,,,ada@example,,,\n")
    result = import_file(directory, ADMIN, path, ImportOptions(strict=True))
    [outcome] = result.report.errors
    assert [p.field for p in outcome.problems] == ["Contact Work Email"]
    assert store_files(data_dir) == before


def test_strict_imports_nothing_when_a_row_fails(directory, tmp_path, data_dir):
    before = store_files(data_dir)
    path = write(tmp_path, HEADER + "\nC1,Ada,Lovelace,,,,,,\nC2,Grace,,,,,,,\n")
    result = import_file(directory, ADMIN, path, ImportOptions(strict=True))
    assert not result.report.written and result.report.counts == {"create": 1, "error": 1}
    assert store_files(data_dir) == before and store(directory).count("contacts") == 0


def test_numbers_that_do_not_parse_are_kept_and_reported_as_warnings(directory, tmp_path):
    path = write(tmp_path, HEADER + "\nC1,Ada,Lovelace,ext 4411,,,,,\n")
    result = import_file(directory, ADMIN, path)
    [outcome] = result.report.outcomes
    assert outcome.action == "create"
    assert outcome.warnings == ["Contact Work Phone: 'ext 4411' is not a valid phone number; kept as typed, but "
                                "calls from it will not find this contact"]
    assert contacts(directory)["Ada Lovelace"].phones[0].raw == "ext 4411"


def test_country_code_gives_the_region_of_national_numbers(directory, tmp_path):
    path = write(tmp_path, HEADER + "\nC1,Anna,Schmidt,030 123456,,,DE,,\nC2,Bob,Smith,030 123456,,,XX,,\n")
    result = import_file(directory, ADMIN, path)
    assert contacts(directory)["Anna Schmidt"].phones[0].e164 == "+4930123456"
    [error] = result.report.errors
    assert str(error.problems[0]) == "Country Code: must be a two-letter region code such as US or GB (got 'XX')"


def test_headers_are_case_insensitive_and_custom_columns_fill_custom_fields(directory, tmp_path):
    directory.add_custom_field(ADMIN, "contact", {"key": "customer_id", "label": "Customer ID",
                                                  "type": "identifier"})
    directory.add_custom_field(ADMIN, "organization", {"key": "sla", "label": "SLA", "type": "integer"})
    path = write(tmp_path, "contact first name,CONTACT LAST NAME,Custom.Customer_ID,account name,"
                           "account.custom.sla\nAda,Lovelace,CUS-1,Analytical Engines,4\n")
    import_file(directory, ADMIN, path)
    ada = contacts(directory)["Ada Lovelace"]
    assert ada.custom_fields == {"customer_id": "CUS-1"}
    assert directory.get_organization(ADMIN, ada.organization_id).custom_fields == {"sla": 4}


def test_a_mapping_file_reads_a_google_contacts_export(directory, tmp_path):
    mapping = write(tmp_path, 'list_separator = " ::: "\n[columns]\n"Given Name" = "Contact First Name"\n'
                              '"Family Name" = "Contact Last Name"\n"Phone 1 - Value" = "Contact Cell Phone"\n'
                              '"E-mail 1 - Value" = "Contact Work Email"\n"Organization 1 - Name" = "Account Name"\n',
                    "google.toml")
    path = write(tmp_path, "Name,Given Name,Family Name,Phone 1 - Type,Phone 1 - Value,E-mail 1 - Value,"
                           "Organization 1 - Name\n"
                           "Ada Lovelace,Ada,Lovelace,Mobile,+1 415 555 2671 ::: +1 415 555 0100,ada@example.com,"
                           "Analytical Engines\n", "google.csv")
    result = import_file(directory, ADMIN, path, ImportOptions(mapping=mapping))
    assert result.ignored_columns == ["Name", "Phone 1 - Type"]
    ada = contacts(directory)["Ada Lovelace"]
    assert [p.e164 for p in ada.phones] == ["+14155552671", "+14155550100"]
    assert directory.get_organization(ADMIN, ada.organization_id).name == "Analytical Engines"


def test_a_mapping_to_an_unknown_column_is_refused(directory, tmp_path):
    mapping = write(tmp_path, '[columns]\n"Given Name" = "Contact Nickname"\n', "bad.toml")
    path = write(tmp_path, "Given Name\nAda\n")
    with pytest.raises(ValidationFailed) as error:
        import_file(directory, ADMIN, path, ImportOptions(mapping=mapping))
    assert "'Contact Nickname'" in str(error.value) and "not a column the importer reads" in str(error.value)


def test_division_is_chosen_per_import_and_must_exist(directory, tmp_path):
    directory.create_division(ADMIN, "EMEA")
    path = write(tmp_path, HEADER + "\nC1,Ada,Lovelace,,,,,A1,Analytical Engines\n")
    with pytest.raises(ValidationFailed) as error:
        import_file(directory, ADMIN, path, ImportOptions(division="APAC"))
    assert str(error.value) == "division: is not a division (divisions: EMEA, Home) (got 'APAC')"
    import_file(directory, ADMIN, path, ImportOptions(division="EMEA"))
    ada = contacts(directory)["Ada Lovelace"]
    assert ada.division == "EMEA" and directory.get_organization(ADMIN, ada.organization_id).division == "EMEA"


def test_agents_cannot_import(data_dir, tmp_path):
    directory = open_directory(data_dir, '[access.default]\nrole = "agent"\n')
    path = write(tmp_path, HEADER + "\nC1,Ada,Lovelace,,,,,,\n")
    with pytest.raises(PermissionDenied):
        import_file(directory, Actor("sam"), path)
    assert store(directory).count("contacts") == 0
    directory.close()


# ---------------------------------------------------------------- bad files

def test_utf8_with_a_bom_and_semicolons_as_excel_writes_them(directory, tmp_path):
    path = write(tmp_path, "\ufeffContact First Name;Contact Last Name;Contact Work Phone\r\n"
                           "Zoë;Ångström;+46 8 123 456 78\r\n")
    result = import_file(directory, ADMIN, path)
    assert result.report.counts == {"create": 1}
    assert contacts(directory)["Zoë Ångström"].phones[0].e164 == "+46812345678"


def test_a_file_that_is_not_utf8_is_refused_with_the_place_and_the_fix(directory, tmp_path, data_dir):
    before = store_files(data_dir)
    path = write(tmp_path, "Contact First Name,Contact Last Name\nZoë,Müller\n", encoding="cp1252")
    with pytest.raises(ValidationFailed) as error:
        import_file(directory, ADMIN, path)
    message = str(error.value)
    assert "is not UTF-8 text: byte 0xEB on line 2" in message and "for example cp1252" in message
    assert error.value.problems[0].fix == "encoding"  # each front end names its own control for it
    assert store_files(data_dir) == before
    import_file(directory, ADMIN, path, ImportOptions(encoding="cp1252"))
    assert "Zoë Müller" in contacts(directory)


def test_missing_required_columns_are_named(directory, tmp_path):
    path = write(tmp_path, "Contact First Name,Contact Work Email\nAda,ada@example.com\n")
    with pytest.raises(ValidationFailed) as error:
        import_file(directory, ADMIN, path)
    assert str(error.value).startswith("header: Contact Last Name is required when a file has contact columns")


def test_a_file_with_no_known_column_is_refused(directory, tmp_path):
    with pytest.raises(ValidationFailed) as error:
        import_file(directory, ADMIN, write(tmp_path, "foo,bar\n1,2\n"))
    assert "no column of contacts.csv is one the importer reads" in str(error.value)


def test_ragged_rows_are_rejected_with_their_line(directory, tmp_path):
    path = write(tmp_path, 'Contact First Name,Contact Last Name,Contact Title\n'
                           'Ada,Lovelace,Countess\n'
                           'Grace,Hopper\n'
                           'Alan,Turing,"Mathematician, ""codebreaker"""\n'
                           'Too,Many,Values,Here\n'
                           'Trailing,Comma,Fine,\n')
    checked = import_file(directory, ADMIN, path, ImportOptions(dry_run=True))
    assert [(o.line, o.action) for o in checked.report.outcomes] == [
        (2, "create"), (3, "error"), (4, "create"), (5, "error"), (6, "create")]
    result = import_file(directory, ADMIN, path)
    assert [o.line for o in result.report.outcomes] == [3, 5]  # a real import keeps the rows to act on
    assert "has 2 values but the header has 3 columns" in str(result.report.errors[0].problems[0])
    assert contacts(directory)["Alan Turing"].title == 'Mathematician, "codebreaker"'


def test_a_tenth_of_bad_rows_are_all_reported_and_the_rest_imported(directory, tmp_path):
    lines = [HEADER]
    for i in range(200):
        last = f"Number {i}" if i % 10 else ""
        lines.append(f"C{i},Person,{last},,,person{i}@example.com,,,")
    result = import_file(directory, ADMIN, write(tmp_path, "\n".join(lines) + "\n"))
    assert result.report.counts == {"create": 180, "error": 20}
    assert [o.line for o in result.report.errors] == [2 + i for i in range(0, 200, 10)]
    assert sum(1 for _ in result.rejects.open(encoding="utf-8")) == 21
    assert store(directory).count("contacts") == 180


def test_an_empty_file_is_refused(directory, tmp_path):
    with pytest.raises(ValidationFailed) as error:
        import_file(directory, ADMIN, write(tmp_path, ""))
    assert "is empty" in str(error.value)


def test_an_import_too_big_for_one_journal_line_is_committed_as_a_snapshot(directory, data_dir, tmp_path,
                                                                            monkeypatch):
    other = open_directory(data_dir)  # the bot, say, with the directory open while the import runs
    before = store(other).count("contacts")
    monkeypatch.setattr("core.store.storage.MAX_JOURNAL_BYTES", 10_000)
    lines = [HEADER] + [f"C{i},Person,Number {i},+1 415 555 {i:04d},,p{i}@example.com,,A1,Acme" for i in range(300)]
    result = import_file(directory, ADMIN, write(tmp_path, "\n".join(lines) + "\n"))
    assert result.report.counts == {"create": 300} and result.report.written
    assert store(other).count("contacts") == before + 300  # it reloads the new snapshot
    assert other.lookup(ADMIN, "(415) 555-0299").contacts[0].last_name == "Number 299"
    other.add_note(ADMIN, "contact", other.lookup(ADMIN, "p7@example.com").contacts[0].id, "still writable")
    other.close()
    directory.close()
    reopened = open_directory(data_dir)
    assert store(reopened).count("contacts") == 300 and store(reopened).count("notes") == 1
    reopened.close()
