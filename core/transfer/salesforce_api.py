"""Salesforce's REST API as a sync uses it: its settings (``[salesforce]`` in contacts.toml or SALESFORCE_…), a
SOQL query followed page by page (through queryAll to see deletions), the client-credentials login, and the
errors Salesforce sends, each turned into a ``SyncError`` that says what to do."""

from __future__ import annotations

import os
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Annotated, Any, Literal

import orjson
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, SecretStr, ValidationError

from core.directory import Directory
from core.errors import ContactsError, FieldProblem, ValidationFailed
from core.models import DEFAULT_DIVISION, DivisionName

SETTING_NAMES = ("instance_url", "access_token", "client_id", "client_secret")
API_VERSION = "v61.0"
RETRIES = 3


def _interval(value: Any) -> Any:
    """"15m", "1h", "90s" or a number of seconds, as a duration of at least a second."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return timedelta(seconds=value)
    if isinstance(value, str):
        match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*", value)
        if match is None:
            raise ValueError("must be a duration such as 90s, 15m or 1h")
        unit = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[match.group(2)]
        return timedelta(seconds=float(match.group(1)) * unit)
    return value


def _at_least_a_second(value: timedelta) -> timedelta:
    if value < timedelta(seconds=1):
        raise ValueError("must be at least a second")
    return value


Interval = Annotated[timedelta, BeforeValidator(_interval), AfterValidator(_at_least_a_second)]


class SyncError(ContactsError):
    """Salesforce refused or failed; nothing was changed."""


class SalesforceSettings(BaseModel):
    """``[salesforce]`` in contacts.toml; each value can come from the environment instead (SALESFORCE_…)."""

    model_config = ConfigDict(extra="forbid")

    instance_url: str | None = None
    access_token: SecretStr | None = None
    client_id: str | None = None
    client_secret: SecretStr | None = None
    division: str = DEFAULT_DIVISION
    interval: Interval = timedelta(minutes=15)  # how often a watching process syncs ("15m", "1h", seconds)
    on_delete: Literal["archive", "remove", "keep"] = "archive"  # records deleted in Salesforce
    archive_division: DivisionName = "Archive"  # where "archive" moves them (made if missing)
    watch: bool = False  # the bot's process syncs on the interval too

    @classmethod
    def load(cls, directory: Directory, environ: dict[str, str] | None = None,
             every: str | None = None) -> SalesforceSettings:
        """The settings; ``every`` (a command's --every) overrides the interval."""
        environ = dict(os.environ if environ is None else environ)
        section = (directory.settings.model_extra or {}).get("salesforce", {})
        if not isinstance(section, dict):
            raise ValidationFailed.one("[salesforce]", None, "in contacts.toml must be a table of settings")
        values = {**section, **{field: environ[f"SALESFORCE_{field.upper()}"] for field in SETTING_NAMES
                                if environ.get(f"SALESFORCE_{field.upper()}")}}
        if every is not None:
            values["interval"] = every
        try:
            settings = cls.model_validate(values)
        except ValidationError as error:
            # Never the values themselves: a typo next to client_secret must not print the secret.
            raise ValidationFailed([FieldProblem(f"[salesforce] {'.'.join(str(p) for p in e['loc'])}", None,
                                                 e["msg"]) for e in error.errors()]) from None
        if not settings.instance_url:
            raise ValidationFailed.one("SALESFORCE_INSTANCE_URL", None, "is needed (your org's https://….my."
                                       "salesforce.com), in the environment or [salesforce] in contacts.toml")
        if not settings.access_token and not (settings.client_id and settings.client_secret):
            raise ValidationFailed.one("SALESFORCE_ACCESS_TOKEN", None, "is needed, or SALESFORCE_CLIENT_ID and "
                                       "SALESFORCE_CLIENT_SECRET of a connected app with the client credentials flow")
        return settings


class SalesforceClient:
    """The few REST calls a sync needs: a SOQL query followed page by page, and the client-credentials login."""

    def __init__(self, settings: SalesforceSettings, *, timeout: float = 30,
                 sleep: Callable[[float], None] = time.sleep):
        self.settings, self.timeout, self.sleep = settings, timeout, sleep
        self.instance_url = (settings.instance_url or "").rstrip("/")
        self.token = settings.access_token.get_secret_value() if settings.access_token else None
        if not self.token:
            self._log_in()

    def query(self, soql: str, *, deleted: bool = False) -> Iterator[dict[str, Any]]:
        """The records a SOQL query finds, page by page; ``deleted``: through queryAll, which sees the recycle
        bin (``IsDeleted``)."""
        endpoint = "queryAll" if deleted else "query"
        url = f"{self.instance_url}/services/data/{API_VERSION}/{endpoint}?" + urllib.parse.urlencode({"q": soql})
        while url:
            page = self._get(url)
            yield from page.get("records", [])
            next_url = page.get("nextRecordsUrl")
            url = f"{self.instance_url}{next_url}" if next_url and not page.get("done", True) else ""

    def _get(self, url: str) -> dict[str, Any]:
        logged_in_again = False
        for attempt in range(RETRIES + 1):
            request = urllib.request.Request(url, headers={"Authorization": f"Bearer {self.token}",
                                                           "Accept": "application/json"})
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    return orjson.loads(response.read())
            except urllib.error.HTTPError as error:
                code, message = _error_of(error)
                if error.code == 401 and not logged_in_again and self.settings.client_id:
                    self._log_in()
                    logged_in_again = True
                    continue
                if error.code == 401:
                    raise SyncError(f"Salesforce refused the session ({code}: {message}). Get a new access token "
                                    "(SALESFORCE_ACCESS_TOKEN) or set up the client credentials flow. Nothing was "
                                    "changed.") from None
                if code == "REQUEST_LIMIT_EXCEEDED":
                    raise SyncError(f"Salesforce says the org's API request limit is used up ({message}). Nothing "
                                    "was changed; run the sync again once the limit resets.") from None
                if error.code in (429, 503) and attempt < RETRIES:
                    self.sleep(_retry_after(error, attempt))
                    continue
                raise SyncError(f"Salesforce answered {error.code} ({code}: {message}). Nothing was changed.") \
                    from None
            except (urllib.error.URLError, TimeoutError) as error:
                if attempt < RETRIES:
                    self.sleep(2 ** attempt)
                    continue
                reason = getattr(error, "reason", error)
                raise SyncError(f"cannot reach Salesforce at {self.instance_url}: {reason}. Nothing was changed.") \
                    from None
        raise AssertionError("unreachable")

    def _log_in(self) -> None:
        secret = self.settings.client_secret.get_secret_value() if self.settings.client_secret else ""
        body = urllib.parse.urlencode({"grant_type": "client_credentials", "client_id": self.settings.client_id,
                                       "client_secret": secret}).encode()
        request = urllib.request.Request(f"{self.instance_url}/services/oauth2/token", data=body, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                answer = orjson.loads(response.read())
        except urllib.error.HTTPError as error:
            code, message = _error_of(error)
            raise SyncError(f"Salesforce refused the login ({code}: {message}); check SALESFORCE_CLIENT_ID and "
                            "SALESFORCE_CLIENT_SECRET. Nothing was changed.") from None
        except urllib.error.URLError as error:
            raise SyncError(f"cannot reach Salesforce at {self.instance_url}: {error.reason}. Nothing was changed.") \
                from None
        self.token = answer["access_token"]
        self.instance_url = answer.get("instance_url", self.instance_url).rstrip("/")


def _error_of(error: urllib.error.HTTPError) -> tuple[str, str]:
    """Salesforce's errorCode and message, from its ``[{"errorCode": …, "message": …}]`` bodies."""
    try:
        body = orjson.loads(error.read())
    except (orjson.JSONDecodeError, OSError):
        return str(error.code), error.reason or ""
    first = body[0] if isinstance(body, list) and body else body if isinstance(body, dict) else {}
    return str(first.get("errorCode") or first.get("error") or error.code), str(
        first.get("message") or first.get("error_description") or "")


def _retry_after(error: urllib.error.HTTPError, attempt: int) -> float:
    try:
        return min(60.0, float(error.headers.get("Retry-After", "")))
    except ValueError:
        return float(2 ** attempt)
