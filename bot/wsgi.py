"""For a production WSGI server: ``gunicorn --threads 8 -b 127.0.0.1:3000 bot.wsgi:application``.

Reads the data directory from ``CONTACTS_DATA_DIR`` and Slack credentials from the environment, like
``contacts-bot``. Several gunicorn workers may share one data directory: the store is safe across processes.
"""

from __future__ import annotations

import os

from bot.app import build_app
from bot.server import EVENTS_PATH, SlackHandler
from bot.settings import slack_settings
from core.bootstrap import open_directory
from core.config import default_data_dir

_directory = open_directory(default_data_dir())
application = SlackHandler(
    build_app(_directory, slack_settings(_directory.settings), token=os.environ["SLACK_BOT_TOKEN"],
              signing_secret=os.environ["SLACK_SIGNING_SECRET"], api_url=os.environ.get("SLACK_API_URL")),
    path=EVENTS_PATH,
)
