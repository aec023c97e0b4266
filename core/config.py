"""The data directory and its settings file, ``contacts.toml``."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Literal

import platformdirs
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from core.errors import FieldProblem, ValidationFailed
from core.phones import DEFAULT_REGION, is_region
from core.policy import AccessConfig
from core.private_files import private_directory, private_file

SETTINGS_FILE = "contacts.toml"

DEFAULT_SETTINGS = f"""\
# Contacts settings. Edit and restart the bot or terminal UI to apply.

[phone]
# Region assumed for numbers typed without a country code (an ISO 3166 code such as US, GB, DE).
default_region = "{DEFAULT_REGION}"

# Who may do what. Roles:
#   viewer  sees records
#   agent   also adds notes, sets survey opt-out and SMS, records interactions
#   admin   also creates, edits, moves, merges and deletes records, and manages custom fields and divisions
# "divisions" lists the divisions a person may see and change; "*" means all of them.
#
# People not listed get [access.default]. This default suits a single-user install; on a shared install
# make it a viewer and list the agents and admins.
[access.default]
role = "admin"
divisions = ["*"]

# A person is matched by their id (a Slack user id such as U0123ABCD, or a login name) or their email:
# [access.users."U0123ABCD"]
# role = "agent"
# divisions = ["Home", "EMEA"]
"""


class PhoneSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    default_region: str = DEFAULT_REGION

    @field_validator("default_region")
    @classmethod
    def _known(cls, value: str) -> str:
        if not is_region(value):
            raise ValueError("must be a two-letter region code such as US or GB")
        return value.upper()


class StoreSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["embedded", "postgresql"] = "embedded"  # files in the data directory, or a database server
    url: SecretStr | None = None  # postgresql://user:password@host/database ($CONTACTS_DATABASE_URL overrides)


class Settings(BaseModel):
    model_config = ConfigDict(extra="allow")  # front ends keep their own sections (for example [slack])

    phone: PhoneSettings = Field(default_factory=PhoneSettings)
    access: AccessConfig = Field(default_factory=AccessConfig)
    store: StoreSettings = Field(default_factory=StoreSettings)


def default_data_dir() -> Path:
    configured = os.environ.get("CONTACTS_DATA_DIR")
    return Path(configured) if configured else Path(platformdirs.user_data_dir("contacts", appauthor=False))


def load_settings(data_dir: Path) -> Settings:
    """Read ``contacts.toml``, writing the documented default first if the directory has none."""
    path = data_dir / SETTINGS_FILE
    if not path.exists():
        private_directory(data_dir)
        with private_file(path, encoding="utf-8") as out:  # grants and, once added, a CRM's credentials
            out.write(DEFAULT_SETTINGS)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as error:
        raise ValidationFailed.one(str(path), None, f"is not UTF-8 text (byte {error.start} is not); save it as "
                                                    "UTF-8") from None
    except OSError as error:
        raise ValidationFailed.one(str(path), None, f"cannot be read: {error.strerror}") from None
    except tomllib.TOMLDecodeError as error:
        raise ValidationFailed([FieldProblem(str(path), None, f"is not valid TOML: {error}")]) from None
    try:
        return Settings.model_validate(raw)
    except ValidationError as error:
        raise ValidationFailed(
            [
                FieldProblem(f"{path.name} {'.'.join(str(p) for p in e['loc'])}", e.get("input"), e["msg"])
                for e in error.errors()
            ]
        ) from None
