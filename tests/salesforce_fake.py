"""A fake Salesforce REST API on 127.0.0.1: SOQL queries over Account and Contact with paging
(``nextRecordsUrl``), LastModifiedDate filters, deleted records seen only through queryAll (``IsDeleted``), the
client-credentials login, and the errors Salesforce sends (an expired session, a used-up request limit, a busy
server)."""

from __future__ import annotations

import re
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import orjson

API = "/services/data/v61.0"


class FakeSalesforce:
    def __init__(self, page_size: int = 2):
        self.records: dict[str, list[dict[str, Any]]] = {"Account": [], "Contact": []}
        self.page_size = page_size
        self.tokens = {"good-token"}
        self.client = ("client-id", "client-secret")
        self.failures: list[tuple[int, Any, dict[str, str]]] = []  # served before the next query answers
        self.queries: list[str] = []
        self.cursors: dict[str, list[dict[str, Any]]] = {}
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeSalesforce:
        self.thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def add(self, kind: str, **fields: Any) -> dict[str, Any]:
        prefix = "001" if kind == "Account" else "003"
        record = {"attributes": {"type": kind, "url": f"{API}/sobjects/{kind}/x"},
                  "Id": f"{prefix}5g{len(self.records[kind]):011d}AAA", **fields}
        record.setdefault("LastModifiedDate", "2026-11-01T10:00:00.000+0000")
        record["attributes"]["url"] = f"{API}/sobjects/{kind}/{record['Id']}"
        self.records[kind].append(record)
        return record

    def delete(self, record: dict[str, Any], at: str) -> None:
        """Move a record to the recycle bin, as deleting it in Salesforce does."""
        record.update(IsDeleted=True, LastModifiedDate=at)

    def fail_next(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        self.failures.append((status, body, headers or {}))

    # ----- serving

    def _answer(self, path: str, token: str | None, form: dict[str, list[str]] | None) -> tuple[int, Any, dict]:
        if path == "/services/oauth2/token":
            if form and (form.get("client_id", [""])[0], form.get("client_secret", [""])[0]) == self.client:
                token = f"token-{len(self.tokens)}"
                self.tokens.add(token)
                return 200, {"access_token": token, "instance_url": self.url, "token_type": "Bearer"}, {}
            return 400, {"error": "invalid_client", "error_description": "invalid client credentials"}, {}
        if token not in self.tokens:
            return 401, [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}], {}
        if self.failures:
            return self.failures.pop(0)
        parts = urllib.parse.urlsplit(path)
        if parts.path in (f"{API}/query", f"{API}/queryAll"):
            soql = urllib.parse.parse_qs(parts.query)["q"][0]
            self.queries.append(soql)
            return 200, self._page(self._select(soql, parts.path.endswith("All")), cursor=None), {}
        match = re.fullmatch(rf"{API}/query/(\w+)-(\d+)", parts.path)
        if match and match.group(1) in self.cursors:
            return 200, self._page(self.cursors[match.group(1)], cursor=match.group(1), start=int(match.group(2))), {}
        return 404, [{"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}], {}

    def _select(self, soql: str, all_rows: bool) -> list[dict[str, Any]]:
        match = re.fullmatch(r"SELECT (.+) FROM (\w+)(?: WHERE (IsDeleted = true)?(?: AND )?"
                             r"(?:LastModifiedDate > (\S+))?)?(?: ORDER BY \w+)?", soql)
        assert match, soql
        fields, kind, deleted, since = match.group(1).split(", "), match.group(2), match.group(3), match.group(4)
        rows = [r for r in self.records[kind] if (since is None or r["LastModifiedDate"] > since)
                and (all_rows or not r.get("IsDeleted")) and (not deleted or r.get("IsDeleted"))]
        return [{"attributes": r["attributes"], **{f: r.get(f) for f in fields}} for r in rows]

    def _page(self, rows: list[dict[str, Any]], cursor: str | None, start: int = 0) -> dict[str, Any]:
        if cursor is None:
            cursor = f"01g{len(self.cursors):05d}"
            self.cursors[cursor] = rows
        end = start + self.page_size
        page = {"totalSize": len(rows), "done": end >= len(rows), "records": rows[start:end]}
        if end < len(rows):
            page["nextRecordsUrl"] = f"{API}/query/{cursor}-{end}"
        return page

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _reply(self, form: dict[str, list[str]] | None) -> None:
                auth = self.headers.get("Authorization", "")
                status, body, headers = fake._answer(self.path, auth.removeprefix("Bearer ") or None, form)
                payload = orjson.dumps(body)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

            def do_GET(self) -> None:
                self._reply(None)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                self._reply(urllib.parse.parse_qs(self.rfile.read(length).decode()))

            def log_message(self, *args: object) -> None:
                pass

        return Handler
