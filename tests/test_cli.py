"""The ``contacts`` command as a person runs it: the installed console script, real data directories, on each
store."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import STORES, on_store

CONTACTS = shutil.which("contacts", path=str(Path(sys.executable).parent)) or "contacts"

pytestmark = pytest.mark.both_stores  # run on the embedded store and on PostgreSQL


def run(data_dir: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([CONTACTS, "--data-dir", str(data_dir), *args], capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module", params=STORES)
def demo_dir(tmp_path_factory, request) -> Path:
    data_dir = on_store(tmp_path_factory.mktemp("demo") / "data", request.param, request)
    result = run(data_dir, "demo", "--contacts", "200")
    assert result.returncode == 0, result.stderr
    assert "Added 200 contacts and 10 organizations." in result.stdout
    return data_dir


def stored_phone(demo_dir: Path) -> tuple[str, str]:
    result = run(demo_dir, "lookup", "--json", "CUS-0000007")  # the demo's customer ids are unique
    [record] = json.loads(result.stdout)["contacts"]
    return record["phones"][0]["e164"], record["first_name"]


def test_demo_is_deterministic_and_only_fills_an_empty_directory(demo_dir, tmp_path, request):
    second = on_store(tmp_path / "second", request.node.callspec.params["demo_dir"], request)
    again = run(second, "demo", "--contacts", "200")
    assert again.returncode == 0
    one = run(demo_dir, "lookup", "--json", "gold")
    two = run(second, "lookup", "--json", "gold")
    strip = lambda out: [{k: v for k, v in c.items() if k not in ("created_at", "modified_at")} for c in json.loads(out)["contacts"]]
    assert strip(one.stdout) == strip(two.stdout)
    refused = run(demo_dir, "demo", "--contacts", "5")
    assert refused.returncode == 2 and "already holds 200 contacts" in refused.stderr
    assert run(demo_dir, "demo", "--if-empty").returncode == 0


def test_lookup_by_phone_in_another_format(demo_dir):
    e164, first_name = stored_phone(demo_dir)
    spaced = f"{e164[:3]} {e164[3:6]} {e164[6:]}"
    result = run(demo_dir, "lookup", spaced)
    assert result.returncode == 0
    assert first_name in result.stdout and "SMS" in result.stdout


def test_lookup_json(demo_dir):
    e164, _ = stored_phone(demo_dir)
    result = run(demo_dir, "lookup", "--json", e164)
    answer = json.loads(result.stdout)
    assert (answer["searched_as"], answer["normalized"]) == ("phone", e164)
    assert any(p["e164"] == e164 for p in answer["contacts"][0]["phones"])


def test_nothing_found_exits_1_and_says_what_was_searched(demo_dir):
    result = run(demo_dir, "lookup", "(415) 555-0199")
    assert result.returncode == 1
    assert result.stdout.strip() == "No contact or organization has the number +14155550199."


def test_schema_list_add_disable(data_dir):
    added = run(data_dir, "schema", "add", "contact", "region_code", "--label", "Region", "--type", "enum",
                "--option", "NA", "--option", "EMEA")
    assert added.returncode == 0 and "version 1" in added.stdout
    assert run(data_dir, "schema", "disable", "contact", "region_code").returncode == 0
    listing = run(data_dir, "schema", "list", "contact")
    assert "region_code" in listing.stdout and "[disabled]" in listing.stdout and "version 2" in listing.stdout
    as_json = json.loads(run(data_dir, "schema", "list", "--json").stdout)
    assert [s["entity"] for s in as_json] == ["contact", "organization"]


@pytest.mark.parametrize("args, words", [
    (["schema", "add", "contact", "Bad Key", "--label", "X", "--type", "text"], "key: must start with a lower-case letter"),
    (["schema", "add", "contact", "x", "--label", "X", "--type", "enum"], "at least one option"),
    (["schema", "disable", "organization", "nope"], "key: is not a custom field of organizations"),
    (["demo", "--contacts", "0"], "--contacts must be at least 1 (got 0)"),
])
def test_bad_input_exits_2_with_the_reason(data_dir, args, words):
    result = run(data_dir, *args)
    assert result.returncode == 2
    assert words in result.stderr


def test_damaged_store_exits_3_and_is_left_alone(tmp_path):  # the embedded store's own files
    data_dir = tmp_path / "damaged"
    run(data_dir, "schema", "add", "contact", "x", "--label", "X", "--type", "text")
    journal = next(data_dir.glob("store.*.journal"))
    journal.write_bytes(journal.read_bytes().replace(b'"X"', b'"Y"') + b"0 {}\n")
    before = journal.read_bytes()
    result = run(data_dir, "lookup", "anything")
    assert result.returncode == 3 and "is damaged" in result.stderr
    assert journal.read_bytes() == before


# ---------------------------------------------------------------- import and export

def test_import_dry_run_then_import_then_export(data_dir, tmp_path):
    source = tmp_path / "people.csv"
    source.write_text("Contact ID,Contact First Name,Contact Last Name,Contact Cell Phone\n"
                      "C1,Ada,Lovelace,+44 7911 123456\n"
                      "C2,Grace,,+1 415 555 2671\n", encoding="utf-8")
    dry = run(data_dir, "import", str(source), "--dry-run")
    assert dry.returncode == 1
    assert dry.stdout.splitlines() == [
        "line 2: create contact Ada Lovelace (contact 1)",
        "line 3: error contact Grace",
        "    Contact Last Name: is required",
        "2 rows: 1 to create, 0 to update, 0 unchanged, 1 rejected; nothing was written",
    ]
    assert run(data_dir, "lookup", "+447911123456").returncode == 1
    strict = run(data_dir, "import", str(source), "--strict")
    assert strict.returncode == 2 and "nothing was imported" in strict.stderr
    real = run(data_dir, "import", str(source))
    assert real.returncode == 1
    assert "Rejected rows are in" in real.stdout and (tmp_path / "people.rejects.csv").exists()
    assert "Ada Lovelace" in run(data_dir, "lookup", "011 44 7911 123456").stdout.replace("  ", " ")
    exported = run(data_dir, "export", str(tmp_path / "out.vcf"), "--vcard-version", "4.0")
    assert exported.returncode == 0 and "Exported 1 records" in exported.stdout
    assert "VERSION:4.0" in (tmp_path / "out.vcf").read_text(encoding="utf-8")


def test_import_of_a_missing_file_is_bad_input(data_dir, tmp_path):
    result = run(data_dir, "import", str(tmp_path / "nope.csv"))
    assert result.returncode == 2 and "file: cannot be read: No such file or directory (got '" in result.stderr


def test_the_progress_bar_shows_on_a_terminal_after_a_second():
    import io

    from cli.output import ProgressBar

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    quick, slow, piped = Terminal(), Terminal(), io.StringIO()
    with ProgressBar("Importing", "rows", quick) as bar:
        bar.update(10, 100)
    with ProgressBar("Importing", "rows", slow) as bar:
        bar.started -= 2
        bar.update(50, 100)
    with ProgressBar("Importing", "rows", piped) as bar:
        bar.started -= 2
        bar.update(50, 100)
    assert quick.getvalue() == "" and piped.getvalue() == ""
    assert slow.getvalue() == f"\rImporting [{'#' * 15}{'.' * 15}] 50/100 rows 2 s\n"


def test_output_cut_short_by_a_pipe_ends_quietly(tmp_path):
    command = f"{CONTACTS} --data-dir {tmp_path / 'data'} import --columns | head -1"
    result = subprocess.run(["bash", "-o", "pipefail", "-c", command], capture_output=True, text=True, timeout=60)
    assert result.stdout == "Contact ID\n" and result.stderr == ""


def test_lookup_by_a_tel_uri(demo_dir):
    e164, first_name = stored_phone(demo_dir)
    result = run(demo_dir, "lookup", f"tel:{e164[:2]}-{e164[2:5]}-{e164[5:8]}-{e164[8:]}")
    assert result.returncode == 0 and first_name in result.stdout


def test_a_fax_number_is_shown_as_fax_without_an_sms_state(data_dir, tmp_path):
    card = tmp_path / "fax.vcf"
    card.write_text("BEGIN:VCARD\r\nVERSION:2.1\r\nN:Müller;Jürgen;;;\r\nTEL;WORK;FAX:+49 30 1234568\r\n"
                    "TEL;CELL:+49 170 1234567\r\nEND:VCARD\r\n", encoding="utf-8")
    assert run(data_dir, "import", str(card)).returncode == 0
    shown = run(data_dir, "lookup", "+49 30 123 4568").stdout.splitlines()
    fax = next(line for line in shown if line.strip().startswith("fax"))
    cell = next(line for line in shown if line.strip().startswith("cell"))
    assert "SMS" not in fax and cell.endswith("SMS off")
