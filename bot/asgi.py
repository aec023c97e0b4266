"""For several worker processes:
``uvicorn bot.asgi:application --workers 4 --loop uvloop --http serving.limits:DeadlineProtocol``.

Reads the data directory from ``CONTACTS_DATA_DIR`` and Slack credentials from the environment, like
``contacts-bot`` (which serves one process with the same limits). Workers may share one data directory: the store
is safe across processes, and a request Slack repeats is acted on once whichever worker gets it.
"""

from __future__ import annotations

import gc
import os

from bot.app import build_app
from bot.server import asgi_app
from bot.settings import slack_settings
from core.bootstrap import open_directory
from core.config import default_data_dir
from serving.limits import BodyLimit, Limits

_directory = open_directory(default_data_dir())
_secret = os.environ["SLACK_SIGNING_SECRET"]
application = BodyLimit(asgi_app(
    build_app(_directory, slack_settings(_directory.settings), token=os.environ["SLACK_BOT_TOKEN"],
              signing_secret=_secret, api_url=os.environ.get("SLACK_API_URL")),
    _secret,
), Limits.body_bytes)
gc.freeze()  # the store's objects live as long as the worker (see bot.main)
