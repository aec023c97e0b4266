"""The PostgreSQL store behind the same service: chosen in contacts.toml or the environment, its schema made and
versioned by the project, and a database it cannot use refused with a clear error that never prints a password."""

from __future__ import annotations

import csv
import json
import subprocess
import threading
from pathlib import Path

import psycopg
import pytest

from core.bootstrap import open_directory
from core.config import Settings
from core.errors import StoreError
from core.policy import Actor, Grant, Role
from core.store.postgres_schema import SCHEMA_VERSION
from tests import postgres
from tests.api.conftest import Api, Client
from tests.test_cli import CONTACTS

ADMIN = Actor("admin")


def settings(url: str) -> Settings:
    return Settings.model_validate({"store": {"kind": "postgresql", "url": url}})


def test_the_service_on_postgresql(postgres_url, tmp_path):
    directory = open_directory(tmp_path / "unused", settings=settings(postgres_url))
    acme = directory.create(ADMIN, "organization", {"name": "Acme"})
    ada = directory.create(ADMIN, "contact", {"first_name": "Ada", "last_name": "Lovelace", "organization_id": acme.id,
                                              "phones": [{"raw": "(415) 555-2671"}]})
    directory.add_note(ADMIN, "contact", ada.key, "Called about the invoice.")
    assert directory.lookup(ADMIN, "+1 415 555 2671").contacts[0].id == ada.id
    assert directory.search(ADMIN, "lovel").hits[0].id == ada.id
    assert directory.profile(ADMIN, "contact", ada.key).organization.name == "Acme"
    other = open_directory(tmp_path / "unused", settings=settings(postgres_url))  # another process's view
    assert other.get_contact(ADMIN, ada.key).full_name == "Ada Lovelace"
    assert [e.action for e in other.history(ADMIN, "contact", ada.key)] == ["note added", "create"]
    directory.close()
    other.close()


def test_a_database_newer_than_the_program_is_refused(postgres_url, tmp_path):
    open_directory(tmp_path / "unused", settings=settings(postgres_url)).close()
    with psycopg.connect(postgres_url, autocommit=True) as connection:
        connection.execute("INSERT INTO contacts_schema VALUES (%s)", (SCHEMA_VERSION + 1,))
    running = set(threading.enumerate())
    with pytest.raises(StoreError, match="newer than this program knows") as refused:
        open_directory(tmp_path / "unused", settings=settings(postgres_url))
    # closed, not left to the garbage collector: the error held (as a program reporting it does) keeps it alive
    assert refused.value and set(threading.enumerate()) <= running


def test_a_database_of_schema_2_is_upgraded_and_lists_a_words_matches_in_name_order_and_finds_numbers(postgres_url, tmp_path):
    directory = open_directory(tmp_path / "unused", settings=settings(postgres_url))
    made = {name: directory.create(ADMIN, "contact", {"first_name": name.split()[0], "last_name": name.split()[1]}).id
            for name in ("Zed Smith", "Bo Smithers", "Ann Smith", "Cy Jones")}
    directory.update(ADMIN, "contact", made["Cy Jones"], {"phones": [{"raw": "+1 415 555 2671"}]})
    directory.add_relationship(ADMIN, directory.create(ADMIN, "organization", {"name": "Acme"}).id, "Bob Lee", "Owner")
    directory.close()
    with psycopg.connect(postgres_url, autocommit=True) as connection:  # as a program of schema 2 left it
        connection.execute("CREATE TABLE named AS SELECT c.name AS idx, k.key, k.id FROM index_keys k "
                           "JOIN key_indexes c ON c.code = k.idx WHERE c.name <> 'relationship.user'; "
                           "DROP TABLE index_keys, key_indexes, key_counts; "
                           "ALTER TABLE named RENAME TO index_keys; ALTER TABLE index_keys ADD PRIMARY KEY (idx, key, id); "
                           "CREATE INDEX index_keys_by_id ON index_keys (id, idx, key); "
                           "DROP FUNCTION documents_first; DELETE FROM contacts_schema WHERE version > 2")
    directory = open_directory(tmp_path / "unused", settings=settings(postgres_url))
    assert directory.browse(ADMIN, "contact", "smith").window(0, 10) == [made["Ann Smith"], made["Zed Smith"],
                                                                        made["Bo Smithers"]]
    assert [c.id for c in directory.lookup(ADMIN, "(415) 555-2671").contacts] == [made["Cy Jones"]]
    assert "Bob Lee" in directory.known_people(ADMIN)  # an index added since: made from the documents
    home = Actor("agent", grant=Grant(role=Role.agent, divisions=["Home"]))
    assert directory.count(home, "contact") == 4  # a division's size, counted once when the counts came
    directory.create(ADMIN, "contact", {"first_name": "Di", "last_name": "Nu"})
    assert directory.count(home, "contact") == 5
    directory.close()


def test_another_process_opening_the_directory_is_not_a_change_the_terminal_ui_redraws_for(postgres_url, tmp_path):
    watching = open_directory(tmp_path / "unused", settings=settings(postgres_url))
    watching.refresh(ADMIN)
    open_directory(tmp_path / "unused", settings=settings(postgres_url)).close()  # the bot starting, say
    assert watching.refresh(ADMIN) is False
    other = open_directory(tmp_path / "unused", settings=settings(postgres_url))
    other.create(ADMIN, "contact", {"first_name": "Ada", "last_name": "Lovelace"})
    assert watching.refresh(ADMIN) is True
    other.close()
    watching.close()


def test_an_unreachable_database_is_a_clear_error_without_the_password(tmp_path):
    url = "postgresql://contacts:s3cret-pass@127.0.0.1:1/none"
    with pytest.raises(StoreError) as refused:
        open_directory(tmp_path / "unused", settings=settings(url))
    assert "cannot reach the PostgreSQL directory" in str(refused.value) and "s3cret" not in str(refused.value)


def test_a_password_on_the_command_line_is_warned_about_and_never_printed(tmp_path):
    url = "postgresql://contacts:s3cret-pass@127.0.0.1:1/none"
    for command in (["--database-url", url, "lookup", "ada"], ["migrate", "--to", url]):
        ran = subprocess.run([CONTACTS, "--data-dir", str(tmp_path / "data"), *command], capture_output=True,
                             text=True, timeout=60, env={"PATH": "/usr/bin"})
        assert ran.returncode == 3, ran.stderr  # no server there
        assert "password on the command line can be read by anyone" in ran.stderr, command
        assert "s3cret" not in ran.stdout + ran.stderr
    quiet = subprocess.run([CONTACTS, "--data-dir", str(tmp_path / "data"), "--database-url",
                            "postgresql://contacts@127.0.0.1:1/none", "lookup", "ada"], capture_output=True, text=True,
                           timeout=60, env={"PATH": "/usr/bin"})
    assert quiet.returncode == 3 and "warning" not in quiet.stderr  # no password, nothing to warn of


def test_the_command_chooses_the_store_in_contacts_toml_or_the_environment(postgres_url, tmp_path):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "contacts.toml").write_text('[store]\nkind = "postgresql"\n', encoding="utf-8")
    missing = subprocess.run([CONTACTS, "--data-dir", str(data_dir), "lookup", "ada"], capture_output=True, text=True,
                             timeout=60, env={"PATH": "/usr/bin"})
    assert missing.returncode == 3 and "CONTACTS_DATABASE_URL" in missing.stderr
    (data_dir / "contacts.toml").unlink()  # the variable alone chooses the server, whatever the file says
    env = {"PATH": "/usr/bin", "CONTACTS_DATABASE_URL": postgres_url}
    made = subprocess.run([CONTACTS, "--data-dir", str(data_dir), "demo", "--contacts", "20"], capture_output=True,
                          text=True, timeout=120, env=env)
    assert made.returncode == 0, made.stderr
    exported = subprocess.run([CONTACTS, "--data-dir", str(data_dir), "export", str(tmp_path / "all.csv")],
                              capture_output=True, text=True, timeout=60, env=env)
    assert exported.returncode == 0, exported.stderr
    rows = list(csv.DictReader((tmp_path / "all.csv").open(encoding="utf-8")))
    assert sum(1 for row in rows if row["Contact Last Name"]) == 20
    number = next(row["Contact Work Phone"].lstrip("'") for row in rows if row["Contact Work Phone"])
    found = subprocess.run([CONTACTS, "--data-dir", str(data_dir), "lookup", number], capture_output=True,
                           text=True, timeout=60, env=env)
    assert found.returncode == 0, found.stderr
    assert not any(p.name.startswith("store.") for p in data_dir.iterdir())  # nothing went to the embedded store
    embedded = subprocess.run([CONTACTS, "--data-dir", str(data_dir), "lookup", number], capture_output=True,
                              text=True, timeout=60, env={"PATH": "/usr/bin"})
    assert embedded.returncode != 0 and "No contact" in embedded.stdout + embedded.stderr  # without it: the files


@pytest.fixture
def own_server():
    """A server of this test's own, to stop and start again (the session's is shared)."""
    servers = postgres.server()
    url = next(servers)
    yield url
    servers.close()


def test_a_stopped_server_is_a_clear_error_and_the_directory_recovers_when_it_returns(own_server, tmp_path):
    url = postgres.new_database(own_server)
    directory = open_directory(tmp_path / "unused", settings=settings(url))
    ada = directory.create(ADMIN, "contact", {"first_name": "Ada", "last_name": "Lovelace"})
    postgres.restart(own_server, stopped=lambda: _refused(directory))
    assert directory.get_contact(ADMIN, ada.key).full_name == "Ada Lovelace"  # the same handle, no reopening
    directory.update(ADMIN, "contact", ada.key, {"title": "Countess"})
    assert directory.get_contact(ADMIN, ada.key).title == "Countess"
    directory.close()


def _refused(directory) -> None:
    with pytest.raises(StoreError, match=r"unavailable|cannot reach"):
        directory.create(ADMIN, "contact", {"first_name": "Grace", "last_name": "Hopper"})


def run_contacts(data_dir, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([CONTACTS, "--data-dir", str(data_dir), *args], capture_output=True, text=True,
                          timeout=300, env={"PATH": "/usr/bin", **(env or {})})


def test_migrate_there_and_back_gives_the_same_backup_byte_for_byte(postgres_url, tmp_path):
    embedded, back = tmp_path / "embedded", tmp_path / "back"
    assert run_contacts(embedded, "demo", "--contacts", "60").returncode == 0
    run_contacts(embedded, "token", "create", "crm", "--role", "admin")
    assert run_contacts(embedded, "export", str(tmp_path / "before.jsonl")).returncode == 0
    there = run_contacts(embedded, "migrate", "--to", postgres_url)
    assert there.returncode == 0, there.stderr
    assert "Copied and compared" in there.stdout and "contacts" in there.stdout and "@" not in there.stdout
    on_database = tmp_path / "on-database"
    on_database.mkdir()
    (on_database / "contacts.toml").write_text(f'[store]\nkind = "postgresql"\nurl = "{postgres_url}"\n',
                                               encoding="utf-8")
    assert run_contacts(on_database, "export", str(tmp_path / "database.jsonl")).returncode == 0
    again = run_contacts(embedded, "migrate", "--to", postgres_url)
    assert again.returncode == 3 and "already holds a directory" in again.stderr
    home = run_contacts(back, "migrate", "--from", postgres_url)
    assert home.returncode == 0, home.stderr
    assert run_contacts(back, "export", str(tmp_path / "after.jsonl")).returncode == 0
    before = (tmp_path / "before.jsonl").read_bytes()
    assert (tmp_path / "database.jsonl").read_bytes() == before
    assert (tmp_path / "after.jsonl").read_bytes() == before
    assert "crm\tadmin" in run_contacts(back, "token", "list").stdout  # everything came along, not only records


def test_every_command_takes_the_database_on_its_command_line(postgres_url, tmp_path):
    programs = Path(CONTACTS).parent
    for program in ("contacts", "contacts-bot", "contacts-tui", "contacts-api"):
        helped = subprocess.run([str(programs / program), "--help"], capture_output=True, text=True, timeout=60)
        assert "--database-url" in helped.stdout, program
    data_dir = tmp_path / "data"  # settings only: the records go to the database named on the command line
    flag = ["--database-url", postgres_url]
    assert run_contacts(data_dir, *flag, "demo", "--contacts", "10").returncode == 0
    token = run_contacts(data_dir, *flag, "token", "create", "crm", "--role", "agent").stdout.strip().splitlines()[-1]
    assert not any(p.name.startswith("store.") for p in data_dir.iterdir())
    api = Api(data_dir, *flag)
    try:
        answered = Client(api.base, token)("GET", "/api/v1/contacts")
        assert answered.status == 200 and answered.body["total"] == 10
    finally:
        api.stop()
    in_files = run_contacts(data_dir, "lookup", "--json", "a")  # without the flag: the embedded store, empty
    assert in_files.returncode == 1 and json.loads(in_files.stdout)["total"] == 0  # 1: nothing found
