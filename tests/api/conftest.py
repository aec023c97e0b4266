"""The real ``contacts-api`` process on 127.0.0.1, with tokens made by the real ``contacts token create``."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.test_salesforce_sync import eventually

BIN = Path(sys.executable).parent
CONTACTS, API = str(BIN / "contacts"), str(BIN / "contacts-api")


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: Any


class Client:
    """Requests as an integrating system sends them, with one token."""

    def __init__(self, base: str, token: str | None):
        self.base, self.token = base, token

    def __call__(self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None,
                 raw: bytes | None = None) -> Answer:
        data = raw if raw is not None else None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data=data, method=method, headers={
            **({"Authorization": f"Bearer {self.token}"} if self.token else {}),
            **({"Content-Type": "application/json"} if data is not None else {}), **(headers or {})})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status, answer_headers, content = response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            status, answer_headers, content = error.code, dict(error.headers), error.read()
        return Answer(status, {k.lower(): v for k, v in answer_headers.items()},
                      json.loads(content) if content else None)


def contacts(data_dir: Path, *args: str) -> str:
    done = subprocess.run([CONTACTS, "--data-dir", str(data_dir), *args], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Api:
    def __init__(self, data_dir: Path, *options: str):
        self.data_dir = data_dir
        self.port = free_port()
        self.process = subprocess.Popen([API, "--data-dir", str(data_dir), "--port", str(self.port), *options],
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.base = f"http://127.0.0.1:{self.port}"
        eventually(self._answers)

    def _answers(self) -> bool:
        assert self.process.poll() is None, self.process.stdout.read() if self.process.stdout else ""
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                return True
        except OSError:
            return False

    def client(self, name: str | None, role: str = "admin", *divisions: str) -> Client:
        """A client holding a new token of ``role`` (None: no token at all)."""
        if name is None:
            return Client(self.base, None)
        flags = [f"--division={d}" for d in divisions]
        token = contacts(self.data_dir, "token", "create", name, "--role", role, *flags).splitlines()[-1]
        return Client(self.base, token)

    def stop(self) -> str:
        self.process.terminate()
        output, _ = self.process.communicate(timeout=30)
        return output


@pytest.fixture
def api(data_dir):
    """The real contacts-api on the test's directory (on each store: the API's test modules run on both)."""
    data_dir.mkdir(mode=0o700, exist_ok=True)
    contacts(data_dir, "division", "add", "EMEA")
    server = Api(data_dir)
    yield server
    server.stop()
