"""``contacts-bot`` with ``[salesforce] watch = true`` keeps the directory in step with Salesforce while it serves
Slack: the real process, a fake Slack and a fake Salesforce on 127.0.0.1."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

from tests.bot.slack import SECRET, FakeSlack
from tests.conftest import ADMIN, open_directory, store
from tests.salesforce_fake import FakeSalesforce
from tests.test_salesforce_sync import eventually

BOT = str(Path(sys.executable).with_name("contacts-bot"))


def test_the_bot_process_syncs_on_its_interval(tmp_path):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    with FakeSalesforce() as salesforce:
        salesforce.add("Contact", FirstName="Ada", LastName="Lovelace", Phone="+1 415 555 2671")
        (data_dir / "contacts.toml").write_text(
            f'[salesforce]\ninstance_url = "{salesforce.url}"\naccess_token = "good-token"\nwatch = true\n'
            'interval = "1s"\n', encoding="utf-8")
        slack = FakeSlack()
        bot = subprocess.Popen([BOT, "--data-dir", str(data_dir), "--port", "0"], stderr=subprocess.PIPE, text=True,
                               env={"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": SECRET,
                                    "SLACK_API_URL": slack.api_url, "PATH": "/usr/bin"})
        try:
            directory = open_directory(data_dir)

            def synced(name: str) -> bool:
                directory.refresh(ADMIN)
                return name in {c.full_name for c in directory.records(ADMIN, "contact",
                                                                       store(directory).ids("contacts"))}

            eventually(lambda: synced("Ada Lovelace"))
            salesforce.add("Contact", FirstName="Grace", LastName="Hopper",
                           LastModifiedDate="2026-11-05T10:00:00.000+0000")
            eventually(lambda: synced("Grace Hopper"))
            assert directory.sync_state(ADMIN, "salesforce").ok
            directory.close()
        finally:
            bot.send_signal(signal.SIGINT)
            _, log = bot.communicate(timeout=60)
            slack.close()
    assert "syncing from Salesforce every 0:00:01" in log
