"""CSV files under the headers Google (current and legacy), Outlook, HubSpot, Salesforce and Genesys really write,
with the rows people really have (multi-line streets, BOMs, cp1252, several numbers in a cell, labels, empty
cells, quotes and commas), imported with ``--from``, looked up, and exported back. Files written here, in those
exporters' shapes."""

from __future__ import annotations

import csv
import io

import pytest

from core.errors import ValidationFailed
from core.transfer.files import ImportOptions, export_file, import_file
from tests.conftest import ADMIN, open_directory, store

GOOGLE_HEADER = [
    "First Name", "Middle Name", "Last Name", "Phonetic First Name", "Phonetic Middle Name", "Phonetic Last Name",
    "Name Prefix", "Name Suffix", "Nickname", "File As", "Organization Name", "Organization Title",
    "Organization Department", "Birthday", "Notes", "Photo", "Labels", "E-mail 1 - Label", "E-mail 1 - Value",
    "E-mail 2 - Label", "E-mail 2 - Value", "Phone 1 - Label", "Phone 1 - Value", "Phone 2 - Label",
    "Phone 2 - Value", "Address 1 - Label", "Address 1 - Formatted", "Address 1 - Street", "Address 1 - City",
    "Address 1 - PO Box", "Address 1 - Region", "Address 1 - Postal Code", "Address 1 - Country",
    "Address 1 - Extended Address", "Website 1 - Label", "Website 1 - Value"]

LEGACY_GOOGLE_HEADER = [
    "Name", "Given Name", "Additional Name", "Family Name", "Yomi Name", "Given Name Yomi", "Additional Name Yomi",
    "Family Name Yomi", "Name Prefix", "Name Suffix", "Initials", "Nickname", "Short Name", "Maiden Name",
    "Birthday", "Gender", "Location", "Billing Information", "Directory Server", "Mileage", "Occupation", "Hobby",
    "Sensitivity", "Priority", "Subject", "Notes", "Language", "Photo", "Group Membership", "E-mail 1 - Type",
    "E-mail 1 - Value", "Phone 1 - Type", "Phone 1 - Value", "Phone 2 - Type", "Phone 2 - Value",
    "Organization 1 - Type", "Organization 1 - Name", "Organization 1 - Yomi Name", "Organization 1 - Title",
    "Organization 1 - Department", "Organization 1 - Symbol", "Organization 1 - Location",
    "Organization 1 - Job Description"]

OUTLOOK_HEADER = [
    "Title", "First Name", "Middle Name", "Last Name", "Suffix", "Company", "Department", "Job Title",
    "Business Street", "Business Street 2", "Business Street 3", "Business City", "Business State",
    "Business Postal Code", "Business Country/Region", "Home Street", "Home Street 2", "Home Street 3", "Home City",
    "Home State", "Home Postal Code", "Home Country/Region", "Other Street", "Other Street 2", "Other Street 3",
    "Other City", "Other State", "Other Postal Code", "Other Country/Region", "Assistant's Phone", "Business Fax",
    "Business Phone", "Business Phone 2", "Callback", "Car Phone", "Company Main Phone", "Home Fax", "Home Phone",
    "Home Phone 2", "ISDN", "Mobile Phone", "Other Fax", "Other Phone", "Pager", "Primary Phone", "Radio Phone",
    "TTY/TDD Phone", "Telex", "Account", "Anniversary", "Assistant's Name", "Billing Information", "Birthday",
    "Business Address PO Box", "Categories", "Children", "Directory Server", "E-mail Address", "E-mail Type",
    "E-mail Display Name", "E-mail 2 Address", "E-mail 2 Type", "E-mail 2 Display Name", "E-mail 3 Address",
    "E-mail 3 Type", "E-mail 3 Display Name", "Gender", "Government ID Number", "Hobby", "Home Address PO Box",
    "Initials", "Internet Free Busy", "Keywords", "Language", "Location", "Manager's Name", "Mileage", "Notes",
    "Office Location", "Organizational ID Number", "Other Address PO Box", "Priority", "Private", "Profession",
    "Referred By", "Sensitivity", "Spouse", "User 1", "User 2", "User 3", "User 4", "Web Page"]

HUBSPOT_HEADER = ["Record ID", "First Name", "Last Name", "Email", "Phone Number", "Mobile Phone Number",
                  "Company Name", "Job Title", "Street Address", "City", "State/Region", "Postal Code",
                  "Country/Region", "Website URL", "Lifecycle Stage", "Lead Status", "Contact owner", "Create Date",
                  "Last Activity Date", "Associated Company", "Associated Company IDs", "Marketing contact status"]

SALESFORCE_HEADER = ["Id", "AccountId", "Account.Name", "Salutation", "FirstName", "LastName", "Title", "Department",
                     "MailingStreet", "MailingCity", "MailingState", "MailingPostalCode", "MailingCountry", "Phone",
                     "MobilePhone", "HomePhone", "OtherPhone", "Fax", "Email", "Description", "Birthdate",
                     "LeadSource", "OwnerId", "HasOptedOutOfEmail", "DoNotCall", "CreatedDate", "LastModifiedDate"]


def csv_text(header: list[str], rows: list[dict[str, str]], quoting: int = csv.QUOTE_MINIMAL) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, quoting=quoting, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def run(tmp_path, text: str, preset: str | None, encoding: str = "utf-8-sig", **options):
    directory = open_directory(tmp_path / "data")
    path = tmp_path / "export.csv"
    path.write_bytes(text.encode(encoding))
    return directory, import_file(directory, ADMIN, path, ImportOptions(preset=preset, **options))


def people(directory) -> dict:
    return {c.full_name: c for c in directory.records(ADMIN, "contact", store(directory).ids("contacts"))}


def organization_of(directory, contact):
    return directory.get_organization(ADMIN, contact.organization_id)


GOOGLE_ROWS = [
    {"First Name": "Ada", "Last Name": "Lovelace", "Nickname": "Countess", "File As": "Lovelace, Ada",
     "Organization Name": "Analytical Engines", "Organization Title": "Mathematician", "Birthday": "1815-12-10",
     "Notes": 'Prefers email, "never" calls.', "Labels": "* myContacts ::: VIP",
     "E-mail 1 - Label": "* Home", "E-mail 1 - Value": "ada@example.com",
     "E-mail 2 - Label": "Work", "E-mail 2 - Value": "ada@engines.example",
     "Phone 1 - Label": "Mobile", "Phone 1 - Value": "+44 7911 123456 ::: +44 7911 123457",
     "Phone 2 - Label": "Work Fax", "Phone 2 - Value": "+44 20 7946 0959",
     "Address 1 - Label": "Work", "Address 1 - Formatted": "12 St James's Square\nSecond floor\nLondon SW1Y 4JH",
     "Address 1 - Street": "12 St James's Square\nSecond floor", "Address 1 - City": "London",
     "Address 1 - Postal Code": "SW1Y 4JH", "Address 1 - Country": "United Kingdom",
     "Website 1 - Label": "Work", "Website 1 - Value": "www.engines.example"},
    {"First Name": "Grace", "Last Name": "Hopper", "Phone 1 - Label": "Home", "Phone 1 - Value": "(415) 555-0100",
     "E-mail 1 - Label": "Other", "E-mail 1 - Value": "/o=ExchangeLabs/ou=Exchange/cn=Recipients/cn=grace"},
    {"First Name": "Nolast", "Phone 1 - Label": "Mobile", "Phone 1 - Value": "+1 415 555 0111"},
]


def test_a_google_contacts_export(tmp_path):
    directory, result = run(tmp_path, csv_text(GOOGLE_HEADER, GOOGLE_ROWS), "google")
    assert result.report.counts == {"create": 2, "error": 1}
    ada, grace = people(directory)["Ada Lovelace"], people(directory)["Grace Hopper"]
    assert [(p.kind.value, p.e164) for p in ada.phones] == [
        ("cell", "+447911123456"), ("cell", "+447911123457"), ("fax", "+442079460959")]
    assert [(e.kind.value, e.address) for e in ada.emails] == [("personal", "ada@example.com"),
                                                               ("work", "ada@engines.example")]
    assert (ada.title, ada.address.address1, ada.address.address2, ada.address.city) == (
        "Mathematician", "12 St James's Square", "Second floor", "London")
    engines = organization_of(directory, ada)
    assert engines.name == "Analytical Engines" and engines.websites == ["https://www.engines.example"]
    assert [n.text for n in directory.notes(ADMIN, "contact", ada.id)] == ['Prefers email, "never" calls.']
    assert [(p.kind.value, p.e164) for p in grace.phones] == [("home", "+14155550100")] and grace.emails == []
    [rejected] = result.report.errors
    assert rejected.line == 7 and [p.field for p in rejected.problems] == ["Last Name"]
    assert result.report.not_kept == {"Nickname": 1, "Birthday": 1}
    assert directory.lookup(ADMIN, "+44 (0)7911 123457").contacts[0].id == ada.id
    assert directory.lookup(ADMIN, "ADA@EXAMPLE.COM").contacts[0].id == ada.id


def test_a_legacy_google_csv(tmp_path):
    row = {"Name": "Alan Turing", "Given Name": "Alan", "Family Name": "Turing", "Group Membership": "* My Contacts",
           "Gender": "male", "E-mail 1 - Type": "* Work", "E-mail 1 - Value": "alan@example.com",
           "Phone 1 - Type": "Mobile", "Phone 1 - Value": "+44 7700 900123",
           "Phone 2 - Type": "Home Fax", "Phone 2 - Value": "+44 161 496 0000",
           "Organization 1 - Name": "Bletchley Park", "Organization 1 - Title": "Cryptanalyst"}
    directory, result = run(tmp_path, csv_text(LEGACY_GOOGLE_HEADER, [row]), "google")
    [alan] = people(directory).values()
    assert [p.kind.value for p in alan.phones] == ["cell", "fax"] and alan.emails[0].kind.value == "work"
    assert organization_of(directory, alan).name == "Bletchley Park" and alan.title == "Cryptanalyst"
    assert result.report.not_kept == {"Gender": 1}


def outlook_rows() -> list[dict[str, str]]:
    return [
        {"Title": "Mrs.", "First Name": "Zoë", "Last Name": "Adams", "Company": "Contoso, Ltd.",
         "Job Title": "Buyer", "Business Street": "One Microsoft Way\r\nBuilding 5", "Business Street 2": "Floor 2",
         "Business City": "Redmond", "Business State": "WA", "Business Postal Code": "98052",
         "Business Country/Region": "United States of America", "Home Street": "1 Home Rd", "Home City": "Seattle",
         "Business Phone": "(425) 555-0100", "Business Fax": "(425) 555-0102", "Mobile Phone": "(425) 555-0101",
         "Company Main Phone": "(425) 555-0000", "E-mail Address": "zoe@contoso.example", "E-mail Type": "SMTP",
         "E-mail Display Name": "Zoë Adams (zoe@contoso.example)", "Web Page": "contoso.example",
         "Gender": "Unspecified", "Birthday": "0/0/00", "Priority": "Normal", "Sensitivity": "Normal",
         "Private": "False", "Notes": "Renewal in March; prefers calls", "Categories": "Customers"},
        {"First Name": "Ken", "Last Name": "Ito", "Home Street": "2 Side St", "Home City": "Portland",
         "E-mail Address": "/o=ExchangeLabs/ou=Exchange Administrative Group/cn=Recipients/cn=kito",
         "E-mail Type": "EX", "Gender": "Unspecified", "Birthday": "0/0/00"},
    ]


def test_an_outlook_export_in_cp1252(tmp_path):
    text = csv_text(OUTLOOK_HEADER, outlook_rows(), csv.QUOTE_ALL)
    with pytest.raises(ValidationFailed) as refused:
        run(tmp_path, text, "outlook", encoding="cp1252")
    assert "is not UTF-8 text: byte 0xEB on line 2" in str(refused.value)
    directory, result = _outlook(tmp_path, text)
    zoe, ken = people(directory)["Zoë Adams"], people(directory)["Ken Ito"]
    assert (zoe.salutation, zoe.title) == ("Mrs.", "Buyer")
    assert [(p.kind.value, p.raw) for p in zoe.phones] == [("fax", "(425) 555-0102"), ("work", "(425) 555-0100"),
                                                          ("cell", "(425) 555-0101")]
    assert (zoe.address.address1, zoe.address.address2, zoe.address.city) == (
        "One Microsoft Way", "Building 5, Floor 2", "Redmond")
    contoso = organization_of(directory, zoe)
    assert contoso.phone.raw == "(425) 555-0000" and contoso.websites == ["https://contoso.example"]
    assert (ken.address.address1, ken.address.city) == ("2 Side St", "Portland")  # the only address he has
    assert ken.emails == [] and any("left out" in w for o in result.report.outcomes for w in o.warnings)
    assert result.report.not_kept == {"Categories": 1, "Home Street group (a second address)": 1}
    assert directory.lookup(ADMIN, "+1 425-555-0101").contacts[0].id == zoe.id


def _outlook(tmp_path, text):
    directory = open_directory(tmp_path / "outlook")
    path = tmp_path / "outlook.csv"
    path.write_bytes(text.encode("cp1252"))
    return directory, import_file(directory, ADMIN, path, ImportOptions(preset="outlook", encoding="cp1252"))


def test_a_hubspot_export(tmp_path):
    rows = [{"Record ID": "51", "First Name": "Maya", "Last Name": "Patel", "Email": "maya@globex.example",
             "Phone Number": "+1 (212) 555-0199", "Mobile Phone Number": "", "Company Name": "Globex",
             "Street Address": "5 Main St\nSuite 300", "City": "New York", "State/Region": "NY",
             "Website URL": "https://globex.example", "Contact owner": "sam@us.example",
             "Lifecycle Stage": "customer", "Associated Company": "Globex"}]
    directory, result = run(tmp_path, csv_text(HUBSPOT_HEADER, rows), "hubspot")
    [maya] = people(directory).values()
    assert [(i.source, i.value) for i in maya.external_ids] == [("hubspot", "51")]
    assert (maya.address.address1, maya.address.address2) == ("5 Main St", "Suite 300")
    assert result.report.not_kept == {"Contact owner": 1, "Lifecycle Stage": 1}  # Associated Company repeats one
    again = import_file(directory, ADMIN, tmp_path / "export.csv", ImportOptions(preset="hubspot"))
    assert set(again.report.counts) == {"unchanged"}  # matched by the HubSpot record id


def test_a_salesforce_data_loader_export(tmp_path):
    rows = [{"Id": "0035g00000AbCdEAAV", "AccountId": "0015g00000XyZAAA", "FirstName": "Lee", "LastName": "Ng",
             "Salutation": "Ms.", "MailingStreet": "1 Harbour Rd\nUnit 4",
             "MailingCity": "Wellington", "MailingCountry": "NZ", "Phone": "+64 4 123 4567",
             "Fax": "+64 4 123 4568", "Email": "lee@initech.example", "Title": "CTO", "Department": "IT",
             "Description": "Met at Dreamforce, 2025", "Account.Name": "Initech", "HasOptedOutOfEmail": "true",
             "OwnerId": "0055g000001", "CreatedDate": "2025-01-02T03:04:05.000Z", "DoNotCall": "false",
             "LeadSource": "Web", "LastModifiedDate": "2025-06-01T10:00:00.000Z"}]
    directory, result = run(tmp_path, csv_text(SALESFORCE_HEADER, rows, csv.QUOTE_ALL), "salesforce")
    [lee] = people(directory).values()
    assert [(i.source, i.value) for i in lee.external_ids] == [("salesforce", "0035g00000AbCdEAAV")]
    initech = organization_of(directory, lee)
    assert [(i.source, i.value) for i in initech.external_ids] == [("salesforce", "0015g00000XyZAAA")]
    assert [p.kind.value for p in lee.phones] == ["work", "fax"] and lee.survey_opt_out
    assert directory.notes(ADMIN, "contact", lee.id)[0].text == "Met at Dreamforce, 2025"
    assert result.report.not_kept == {"CreatedDate": 1, "Department": 1, "DoNotCall": 1, "LastModifiedDate": 1,
                                      "LeadSource": 1, "OwnerId": 1}


def test_a_header_that_looks_like_an_exporter_names_the_preset(tmp_path):
    directory = open_directory(tmp_path / "data")
    path = tmp_path / "contacts.csv"
    path.write_text(csv_text(OUTLOOK_HEADER, outlook_rows()), encoding="utf-8")
    with pytest.raises(ValidationFailed) as refused:
        import_file(directory, ADMIN, path)
    [problem] = refused.value.problems
    assert problem.message == "looks like an Outlook export: import it with the outlook preset"
    assert problem.fix == "from"


@pytest.mark.parametrize("endings", ["\r", "\r\n", "\n"])
def test_line_endings_of_every_platform(tmp_path, endings):
    text = "Contact First Name,Contact Last Name,Contact Work Phone\nAda,Lovelace,+1 415 555 2671\n"
    _, result = run(tmp_path, text.replace("\n", endings), None)
    assert result.report.counts == {"create": 1}


def comparable(contact) -> dict:
    """A contact's fields; phones and emails in kind order (a CSV has a column per kind)."""
    data = contact.model_dump(mode="json", exclude={"id", "version", "created_at", "modified_at", "organization_id"})
    for field in ("phones", "emails"):
        data[field] = sorted(data[field], key=lambda item: (item["kind"], str(item)))
    return data


def test_genesys_columns_round_trip_through_every_format(tmp_path):
    directory, _ = run(tmp_path, csv_text(GOOGLE_HEADER, GOOGLE_ROWS[:2]), "google")
    before = {name: comparable(c) for name, c in people(directory).items()}
    for name in ("all.csv", "all.vcf", "all.jsonl"):
        path = tmp_path / name
        export_file(directory, ADMIN, path)
        target = open_directory(tmp_path / f"from-{name}")
        result = import_file(target, ADMIN, path, ImportOptions(preset="genesys") if name.endswith(".csv") else None)
        assert not result.report.errors, name
        after = {name: comparable(c) for name, c in people(target).items()}
        assert after == before, name
        ada = people(target)["Ada Lovelace"]
        assert [n.text for n in target.notes(ADMIN, "contact", ada.id)] == ['Prefers email, "never" calls.']
        assert organization_of(target, ada).websites == ["https://www.engines.example"]


def test_formulas_are_inert_in_the_export_and_come_back_exactly(tmp_path):
    directory = open_directory(tmp_path / "data")
    names = ['=HYPERLINK("http://evil.example","click")', "+cmd|' /C calc'!A0", "@SUM(1+1)", "-2+3", "'=quoted"]
    for i, name in enumerate(names):
        directory.create(ADMIN, "contact", {"first_name": name, "last_name": f"L{i}",
                                            "phones": [{"raw": f"+1 415 555 01{i:02d}"}]})
    path = tmp_path / "out.csv"
    export_file(directory, ADMIN, path)
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    assert sorted(r["Contact First Name"] for r in rows) == sorted("'" + n for n in names)
    assert all(r["Contact Work Phone"].startswith("'+1 415") for r in rows)  # Excel would show #NAME?
    target = open_directory(tmp_path / "back")
    import_file(target, ADMIN, path)
    assert sorted(c.first_name for c in people(target).values()) == sorted(names)


def test_a_rejects_file_is_never_written_through_a_link(tmp_path):
    directory = open_directory(tmp_path / "data")
    victim = tmp_path / "victim.txt"
    victim.write_text("precious", encoding="utf-8")
    path = tmp_path / "in.csv"
    path.write_text("Contact First Name,Contact Last Name\nAda,\n", encoding="utf-8")
    (tmp_path / "in.rejects.csv").symlink_to(victim)
    result = import_file(directory, ADMIN, path)
    assert victim.read_text(encoding="utf-8") == "precious"
    assert not result.rejects.is_symlink() and result.rejects.stat().st_mode & 0o777 == 0o600
    assert "Contact Last Name: is required" in result.rejects.read_text(encoding="utf-8")


@pytest.mark.parametrize("name, content, cause", [
    ("empty.csv", b"", "is empty"),
    ("book.csv", b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00[Content_Types].xml", "is a binary file"),
    ("photo.jsonl", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01", "is a binary file"),
    ("blank.csv", b"\n\nContact First Name,Contact Last Name\n", "starts with a blank line"),
])
def test_files_that_cannot_be_read_name_the_cause(tmp_path, name, content, cause):
    directory = open_directory(tmp_path / "data")
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ValidationFailed) as refused:
        import_file(directory, ADMIN, path, ImportOptions(encoding="latin-1" if name.endswith("csv") else None))
    assert cause in str(refused.value)
