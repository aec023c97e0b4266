"""Every way bad data reaches core ends in a typed error naming the field, the value and the rule, with nothing
written: never a traceback."""

from __future__ import annotations

import json
import math
import re

import pytest

from core.errors import ValidationFailed
from core.transfer.files import import_file
from core.transfer.salesforce_api import SalesforceSettings
from tests.conftest import ADMIN, open_directory, store_files
from tests.test_cli import run


@pytest.fixture
def counted(directory):
    directory.add_custom_field(ADMIN, "contact", {"key": "seats", "label": "Seats", "type": "integer"})
    directory.add_custom_field(ADMIN, "contact", {"key": "score", "label": "Score", "type": "number"})
    return directory


@pytest.mark.parametrize("value", [10**30, -(2**63) - 1, "123456789012345678901234567890"])
def test_an_integer_beyond_64_bits_is_refused_by_name(counted, data_dir, value):
    before = store_files(data_dir)
    with pytest.raises(ValidationFailed) as caught:
        counted.create(ADMIN, "contact", {"first_name": "Ann", "last_name": "Lee", "custom_fields": {"seats": value}})
    [problem] = caught.value.problems
    assert problem.field == "custom_fields.seats" and "a whole number of at most 19 digits" in problem.message
    assert store_files(data_dir) == before


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, "nan", "inf"])
def test_not_a_number_and_infinity_are_refused(counted, value):
    with pytest.raises(ValidationFailed, match=re.escape("custom_fields.score: 'Score' must be number")):
        counted.create(ADMIN, "contact", {"first_name": "Ann", "last_name": "Lee", "custom_fields": {"score": value}})


def test_a_limit_that_is_not_a_number_is_refused(directory):
    with pytest.raises(ValidationFailed, match=re.escape("field.minimum")):
        directory.add_custom_field(ADMIN, "contact", {"key": "n", "label": "N", "type": "number", "minimum": math.nan})


@pytest.mark.parametrize(("data", "field"), [
    ({"first_name": "Ann", "last_name": "Lee", "custom_fields": ["tier", "Gold"]}, "custom_fields"),
    ({"first_name": "Ann", "last_name": "Lee", "organization_id": 10**30}, "organization_id"),
    ({"first_name": "Ann", "last_name": "Lee", "phones": "415 555 2671"}, "phones"),
    ({"first_name": ["Ann"], "last_name": "Lee"}, "first_name"),
])
def test_wrong_json_types_are_refused_by_name(directory, data, field):
    with pytest.raises(ValidationFailed) as caught:
        directory.create(ADMIN, "contact", data)
    assert field in [p.field.split(".")[0] for p in caught.value.problems]


def test_a_record_that_is_not_an_object_is_refused(directory):
    with pytest.raises(ValidationFailed, match="record: must be an object of named fields"):
        directory.create(ADMIN, "contact", ["Ann", "Lee"])  # type: ignore[arg-type]


def test_a_csv_with_a_huge_integer_leaves_the_value_out_and_says_so(counted, tmp_path, data_dir):
    counted.close()
    people = tmp_path / "people.csv"
    people.write_text("Contact First Name,Contact Last Name,custom.seats\nAda,Lovelace,12\n"
                      f"Big,Number,{10**30}\n", encoding="utf-8")
    result = run(data_dir, "import", str(people))
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert f"custom.seats: {str(10**30)!r} left out: " in result.stdout and "2 created" in result.stdout
    strict = run(data_dir, "import", "--strict", str(people))
    assert strict.returncode == 2 and "1 rejected" in strict.stdout


def test_json_lines_with_huge_ids_and_wrong_types_are_reported_per_line(directory, tmp_path):
    backup = tmp_path / "backup.jsonl"
    lines = [{"type": "contact", "id": 10**30, "first_name": "Huge", "last_name": "Id"},
             {"type": "contact", "id": 2, "first_name": "Ada", "last_name": "Lovelace", "version": 10**30},
             {"type": "note", "id": 3, "subject_kind": "contact", "subject_id": [1], "text": "hi", "author": "x"},
             {"type": "note", "id": 4, "text": "no subject"},
             {"type": "contact", "id": 5, "first_name": "Grace", "last_name": "Hopper"}]
    backup.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    report = import_file(directory, ADMIN, backup).report
    errors = {o.line: " ".join(str(p) for p in o.problems) for o in report.errors}
    assert set(errors) == {1, 2, 3, 4}
    assert "id" in errors[1] and "version" in errors[2] and "subject_kind" in errors[4]
    assert [c.first_name for c in directory.lookup(ADMIN, "grace").contacts] == ["Grace"]


def test_settings_that_are_not_utf8_are_refused_with_the_file_named(tmp_path):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "contacts.toml").write_bytes('[phone]\ndefault_region = "GB" # Größe\n'.encode("latin-1"))
    with pytest.raises(ValidationFailed, match=re.escape("contacts.toml: is not UTF-8 text")):
        open_directory(data_dir)
    result = run(data_dir, "lookup", "ann")
    assert result.returncode == 2 and "is not UTF-8 text" in result.stderr and "Traceback" not in result.stderr


def test_a_typo_in_the_salesforce_settings_never_prints_the_secret(tmp_path):
    directory = open_directory(tmp_path / "data", '[salesforce]\ninstance_url = "https://acme.my.salesforce.com"\n'
                                                  'client_id = "app"\nclent_secret = "s3cr3t-value"\n')
    with pytest.raises(ValidationFailed) as caught:
        SalesforceSettings.load(directory, environ={})
    directory.close()
    assert "clent_secret" in str(caught.value) and "s3cr3t" not in str(caught.value)
    assert "s3cr3t" not in repr(SalesforceSettings(instance_url="https://x", client_secret="s3cr3t-value"))
