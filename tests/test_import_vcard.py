"""vCards as real address books write them (Android and Outlook 2.1, Apple and Gmail 3.0, 4.0, Lotus Notes),
imported, looked up, reported, and exported back. The cards are written here in those exporters' shapes."""

from __future__ import annotations

import pytest

from core.errors import ValidationFailed
from core.transfer.files import ImportOptions, export_file, import_file
from tests.conftest import ADMIN, open_directory, store

LONG_NOTE = "Called about the renewal. " * 28  # 728 characters, longer than a 2.1 line: soft line breaks

ANDROID_21 = "\r\n".join([
    "BEGIN:VCARD",
    "VERSION:2.1",
    "N;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:M=C3=BCller;J=C3=BCrgen;;;",
    "FN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:J=C3=BCrgen=20M=C3=BCller",
    "TEL;CELL:+49 170 1234567",
    "TEL;WORK;FAX:+49 30 1234568",
    "TEL;HOME:030 1234567",
    "EMAIL;HOME:juergen@example.de",
    "ORG:M\u00fcller GmbH",
    "TITLE:VP, Sales",
    "ADR;WORK;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:;;Hauptstra=C3=9Fe 1=0AHinterhaus;Berlin;;10115;Germany",
    "NOTE;ENCODING=QUOTED-PRINTABLE:" + "=\r\n".join(
        LONG_NOTE.replace(" ", "=20")[i:i + 70] for i in range(0, len(LONG_NOTE.replace(" ", "=20")), 70)),
    "BDAY:1970-01-01",
    "PHOTO;ENCODING=BASE64;JPEG:/9j/4AAQSkZJRgABAQAAAQABAAD",
    " /2wBDAAgGBgcGBQgHBwcJCQgKDBQNDAsLDBkSEw8U",
    "",
    "END:VCARD",
    "",
])

OUTLOOK_21 = "\r\n".join([
    "BEGIN:VCARD",
    "VERSION:2.1",
    "N;LANGUAGE=en-us:Smith;John;;Dr.;Jr.",
    "FN:Dr. John Smith Jr.",
    "ORG:Contoso, Ltd.;Sales",
    "TITLE:VP, Sales",
    "TEL;WORK;VOICE:(425) 555-0100",
    "TEL;CELL;VOICE:(425) 555-0101",
    "TEL;WORK;FAX:(425) 555-0102",
    "ADR;WORK;PREF:;;One Microsoft Way;Redmond;WA;98052;United States of America",
    "LABEL;WORK;PREF;ENCODING=QUOTED-PRINTABLE:One Microsoft Way=0D=0A=",
    "Redmond, WA 98052",
    "URL;WORK:www.contoso.example",
    "EMAIL;PREF;INTERNET:john@contoso.example",
    "EMAIL;INTERNET:/o=ExchangeLabs/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=jsmith",
    "X-MS-OL-DEFAULT-POSTAL-ADDRESS:2",
    "REV:20240101T000000Z",
    "END:VCARD",
    "",
])

LATIN1_QP = "\r\n".join([
    "BEGIN:VCARD",
    "VERSION:2.1",
    "N;CHARSET=ISO-8859-1;ENCODING=QUOTED-PRINTABLE:Garc=EDa;Jos=E9;;;",
    "TEL;WORK:+34 912 345 678",
    "NOTE;CHARSET=ISO-8859-1;ENCODING=QUOTED-PRINTABLE:Se=F1or Garc=EDa prefiere espa=F1ol.",
    "END:VCARD",
    "",
])

APPLE_30 = "\r\n".join([
    "BEGIN:VCARD",
    "VERSION:3.0",
    "PRODID:-//Apple Inc.//macOS 14.0//EN",
    "N:Lovelace;Ada;Augusta;Lady;",
    "FN:Lady Ada Augusta Lovelace",
    "ORG:Analytical Engines Ltd;Research",
    "TITLE:Countess",
    "item1.TEL:+44 7911 123456",
    "item1.X-ABLabel:_$!<Mobile>!$_",
    "TEL;type=WORK;type=VOICE;type=pref:020 7946 0958",
    "TEL;type=HOME;type=FAX:020 7946 0959",
    "item2.EMAIL;type=INTERNET:ada@example.com",
    "item2.X-ABLabel:_$!<Other>!$_",
    "EMAIL;type=INTERNET;type=WORK:ada@engines.example",
    "ADR;type=WORK;type=pref:;;12 St James's Square\\nSecond floor;London;;SW1Y 4JH;United Kingdom",
    "ADR;type=HOME:;;1 Home Lane;Bath;;BA1 1AA;United Kingdom",
    "item3.URL;type=pref:http\\://www.engines.example",
    "item3.X-ABLabel:_$!<HomePage>!$_",
    "NOTE:Prefers email\\, not calls.",
    "X-SOCIALPROFILE;type=twitter:https://twitter.com/ada_l",
    "NICKNAME:Ada",
    "BDAY;value=date:1815-12-10",
    "IMPP;X-SERVICE-TYPE=Skype;type=pref:skype:ada.lovelace",
    "END:VCARD",
    "BEGIN:VCARD",
    "VERSION:3.0",
    "N:;;;;",
    "FN:Analytical Engines Ltd",
    "ORG:Analytical Engines Ltd;",
    "TEL;type=WORK;type=VOICE:020 7946 0000",
    "TEL;type=WORK;type=FAX:020 7946 0001",
    "URL:http\\://www.engines.example",
    "X-ABShowAs:COMPANY",
    "END:VCARD",
    "",
])

GMAIL_30 = "\n".join([
    "BEGIN:VCARD",
    "VERSION:3.0",
    "FN:Jane Doe",
    "N:Doe;Jane;;;",
    "EMAIL;TYPE=INTERNET;TYPE=HOME:jane@example.com",
    "TEL;TYPE=CELL:+1 415-555-2671",
    "ADR;TYPE=HOME:;;1 Main St\\nApt 2;Springfield;IL;62701;USA",
    "ORG:Acme\\, Inc.",
    "TITLE:Engineer",
    "URL:http\\://www.acme.example",
    "NOTE:Met at the conference.\\nFollow up in May.",
    "CATEGORIES:myContacts,Friends",
    "PHOTO:https://lh3.googleusercontent.com/a/photo",
    "END:VCARD",
    "BEGIN:VCARD",
    "VERSION:3.0",
    "FN:José María de la Cruz",
    "EMAIL;TYPE=INTERNET:jose@example.mx",
    "END:VCARD",
    "",
])

V4 = "\n".join([
    "BEGIN:VCARD",
    "VERSION:4.0",
    "KIND:org",
    "FN:ACME Inc.",
    "ORG:ACME Inc.",
    'TEL;VALUE=uri;TYPE="work,voice":tel:+1-212-555-0100',
    "URL:https://acme.example",
    "ADR;TYPE=work:;;350 Fifth Avenue;New York;NY;10118;USA",
    "END:VCARD",
    "BEGIN:VCARD",
    "VERSION:4.0",
    "FN:Grace Hopper",
    "N:Hopper;Grace;;;",
    'TEL;VALUE=uri;TYPE="voice,cell";PREF=1:tel:+1-415-555-2671;ext=12',
    "EMAIL;TYPE=work:grace@example.com",
    "ORG:ACME Inc.",
    "UID:urn:uuid:4fbe8971-0bc3-424c-9c26-36c3e1eff6b1",
    "END:VCARD",
    "",
])

LOTUS = "\r\n".join([
    "BEGIN:VCARD",
    "VERSION:3.0",
    "PROFILE:VCard",
    "N:Tanaka;Hiro",
    "FN:Hiro Tanaka",
    "TEL;TYPE=WORK:+81 3-1234-5678",
    "END:VCARD",
    "",
])


def imported(tmp_path, text: str, name: str = "cards.vcf", encoding: str = "utf-8", **options):
    directory = open_directory(tmp_path / "data")
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    result = import_file(directory, ADMIN, path, ImportOptions(**options))
    return directory, result


def people(directory) -> dict:
    return {c.full_name: c for c in directory.records(ADMIN, "contact", store(directory).ids("contacts"))}


def organizations(directory) -> dict:
    return {o.name: o for o in directory.records(ADMIN, "organization", store(directory).ids("organizations"))}


def test_an_android_21_card_keeps_types_fax_long_notes_and_commas(tmp_path):
    directory, result = imported(tmp_path, ANDROID_21)
    assert not result.report.errors
    [juergen] = people(directory).values()
    assert (juergen.first_name, juergen.last_name, juergen.title) == ("Jürgen", "Müller", "VP, Sales")
    assert [(p.kind.value, p.e164) for p in juergen.phones] == [
        ("cell", "+491701234567"), ("fax", "+49301234568"), ("home", None)]
    assert [(e.kind.value, e.address) for e in juergen.emails] == [("personal", "juergen@example.de")]
    assert (juergen.address.address1, juergen.address.address2, juergen.address.city) == (
        "Hauptstraße 1", "Hinterhaus", "Berlin")
    [note] = directory.notes(ADMIN, "contact", juergen.id)
    assert note.text == LONG_NOTE.strip()
    assert result.report.not_kept == {"BDAY": 1, "PHOTO": 1}
    assert directory.lookup(ADMIN, "+49 (170) 123-4567").contacts[0].id == juergen.id
    assert directory.lookup(ADMIN, "+49 30 1234568").contacts[0].id == juergen.id  # a fax is still found


def test_an_outlook_21_card_parses_the_name_and_leaves_out_an_exchange_address(tmp_path):
    directory, result = imported(tmp_path, OUTLOOK_21)
    assert not result.report.errors
    [john] = people(directory).values()
    assert (john.salutation, john.first_name, john.last_name) == ("Dr.", "John", "Smith Jr.")
    assert john.title == "VP, Sales"
    assert [p.kind.value for p in john.phones] == ["work", "cell", "fax"]
    assert [e.address for e in john.emails] == ["john@contoso.example"]
    [warning] = result.report.outcomes[0].warnings
    assert warning.startswith("EMAIL: '/o=ExchangeLabs/") and "left out: is not a valid email address" in warning
    contoso = organizations(directory)["Contoso, Ltd."]
    assert contoso.websites == ["https://www.contoso.example"] and john.organization_id == contoso.id
    assert result.report.not_kept == {"ORG (department)": 1}


def test_a_latin1_quoted_printable_card(tmp_path):
    directory, _ = imported(tmp_path, LATIN1_QP)
    [jose] = people(directory).values()
    assert (jose.first_name, jose.last_name) == ("José", "García")
    assert directory.notes(ADMIN, "contact", jose.id)[0].text == "Señor García prefiere español."


def test_a_latin1_file_with_its_encoding_named(tmp_path):
    text = LATIN1_QP.replace(";CHARSET=ISO-8859-1;ENCODING=QUOTED-PRINTABLE", "").replace(
        "Garc=EDa;Jos=E9", "García;José").replace("Se=F1or Garc=EDa prefiere espa=F1ol.", "Señor")
    path = tmp_path / "latin.vcf"
    path.write_bytes(text.encode("latin-1"))
    directory = open_directory(tmp_path / "data")
    with pytest.raises(ValidationFailed) as refused:
        import_file(directory, ADMIN, path)
    assert "is not UTF-8 text: byte 0xED on line 3" in str(refused.value)
    import_file(directory, ADMIN, path, ImportOptions(encoding="latin-1"))
    assert list(people(directory)) == ["José García"]


def test_an_apple_card_with_labels_groups_and_a_company_card(tmp_path):
    directory, result = imported(tmp_path, APPLE_30)
    assert not result.report.errors
    [ada] = people(directory).values()
    assert (ada.salutation, ada.middle_name) == ("Lady", "Augusta")
    assert [(p.kind.value, p.raw) for p in ada.phones] == [
        ("cell", "+44 7911 123456"), ("work", "020 7946 0958"), ("fax", "020 7946 0959")]
    assert [(e.kind.value, e.address) for e in ada.emails] == [("other", "ada@example.com"),
                                                               ("work", "ada@engines.example")]
    assert (ada.address.address1, ada.address.address2, ada.address.city) == (
        "12 St James's Square", "Second floor", "London")  # the WORK;pref address of two
    engines = organizations(directory)["Analytical Engines Ltd"]
    assert ada.organization_id == engines.id and len(organizations(directory)) == 1
    assert engines.phone.raw == "020 7946 0000" and engines.fax.raw == "020 7946 0001"
    assert engines.websites == ["http://www.engines.example"]  # http\: unescaped
    assert ada.socials[0].handle == "ada_l"
    assert result.report.not_kept == {"ADR (after the first)": 1, "BDAY": 1, "IMPP": 1, "NICKNAME": 1,
                                      "ORG (department)": 1}


def test_gmail_cards_with_escaped_commas_and_a_name_only_in_fn(tmp_path):
    directory, result = imported(tmp_path, GMAIL_30)
    assert not result.report.errors
    jane, jose = people(directory)["Jane Doe"], people(directory)["José María de la Cruz"]
    assert (jose.first_name, jose.middle_name, jose.last_name) == ("José", "María", "de la Cruz")
    acme = organizations(directory)["Acme, Inc."]
    assert jane.organization_id == acme.id and acme.websites == ["http://www.acme.example"]
    assert (jane.address.address1, jane.address.address2) == ("1 Main St", "Apt 2")
    assert directory.notes(ADMIN, "contact", jane.id)[0].text == "Met at the conference.\nFollow up in May."
    assert directory.lookup(ADMIN, "(415) 555-2671").contacts[0].id == jane.id
    assert directory.lookup(ADMIN, "JANE@example.com").contacts[0].id == jane.id
    assert result.report.not_kept == {"CATEGORIES": 1, "PHOTO": 1}


def test_vcard_4_company_card_and_tel_uris(tmp_path):
    directory, result = imported(tmp_path, V4)
    assert not result.report.errors
    acme = organizations(directory)["ACME Inc."]
    assert acme.phone.e164 == "+12125550100" and acme.address.city == "New York"
    [grace] = people(directory).values()
    assert grace.organization_id == acme.id
    assert [(p.kind.value, p.e164, p.extension) for p in grace.phones] == [("cell", "+14155552671", "12")]


def test_a_lotus_notes_card_with_profile(tmp_path):
    directory, result = imported(tmp_path, LOTUS)
    assert not result.report.errors and list(people(directory)) == ["Hiro Tanaka"]


@pytest.mark.parametrize("content, cause", [
    (b"", "is empty"),
    (b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00", "is a binary file"),
    (b"Name,Phone\nAda,123\n", "holds no vCard"),
    (b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Half\r\n", "has no END:VCARD"),
])
def test_files_that_cannot_be_read_say_why(tmp_path, content, cause):
    directory = open_directory(tmp_path / "data")
    path = tmp_path / "x.vcf"
    path.write_bytes(content)
    with pytest.raises(ValidationFailed) as refused:
        import_file(directory, ADMIN, path, ImportOptions(encoding="latin-1"))
    assert cause in str(refused.value)


def test_a_fixed_rejects_file_imports_only_the_fixed_cards(tmp_path):
    directory, result = imported(tmp_path, V4.replace("N:Hopper;Grace;;;", "N:;Grace;;;").replace(
        "FN:Grace Hopper", "FN:Grace"))
    assert len(result.report.errors) == 1
    text = result.rejects.read_text(encoding="utf-8")
    assert text.count("BEGIN:VCARD") == 1 and "X-CONTACTS-IMPORT-ERROR:N: is required" in text
    result.rejects.write_text(text.replace("N:;Grace;;;", "N:Hopper;Grace;;;"), encoding="utf-8")
    again = import_file(directory, ADMIN, result.rejects)
    assert again.report.counts == {"create": 1}
    [grace] = people(directory).values()
    assert directory.notes(ADMIN, "contact", grace.id) == []  # the error text did not become a note


@pytest.mark.parametrize("version", ["3.0", "4.0"])
def test_export_carries_notes_external_ids_and_company_cards(tmp_path, version):
    directory, _ = imported(tmp_path, APPLE_30 + GMAIL_30)
    [ada] = [c for c in people(directory).values() if c.first_name == "Ada"]
    directory.update(ADMIN, "contact", ada.id, {"external_ids": [{"source": "salesforce", "value": "003;x,1"}]})
    directory.create(ADMIN, "organization", {"name": "Lonely Corp", "websites": ["https://lonely.example"]})
    path = tmp_path / "out.vcf"
    exported = export_file(directory, ADMIN, path, vcard_version=version)
    assert "custom fields" in exported.not_carried
    target = open_directory(tmp_path / "again")
    result = import_file(target, ADMIN, path)
    assert not result.report.errors
    back = {c.full_name: c for c in target.records(ADMIN, "contact", store(target).ids("contacts"))}
    again = back[ada.full_name]
    assert [(i.source, i.value) for i in again.external_ids] == [("salesforce", "003;x,1")]
    assert [n.text for n in target.notes(ADMIN, "contact", again.id)] == ["Prefers email, not calls."]
    assert [(p.kind, p.raw) for p in again.phones] == [(p.kind, p.raw) for p in ada.phones]
    assert again.address == ada.address
    names = {o.name: o for o in target.records(ADMIN, "organization", store(target).ids("organizations"))}
    assert names.keys() == organizations(directory).keys()
    assert names["Lonely Corp"].websites == ["https://lonely.example"]
    assert names["Analytical Engines Ltd"].fax.raw == "020 7946 0001"
