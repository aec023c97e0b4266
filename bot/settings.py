"""The bot's section of ``contacts.toml``."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from core.config import Settings
from core.errors import FieldProblem, ValidationFailed


class SlackSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Channels where a telephony integration announces calls ("Incoming call from +14155552671"): the bot replies
    # in the message's thread with the caller's card and records an interaction on the contact.
    screen_pop_channels: list[str] = Field(default_factory=list)
    # The user the screen pop acts as, in [access] terms: give it the agent role where access is restricted.
    screen_pop_actor: str = "slack-screen-pop"
    # Ask Slack for each user's email (scope users:read.email) so [access] can list people by email.
    match_by_email: bool = False


def slack_settings(settings: Settings) -> SlackSettings:
    raw = (settings.model_extra or {}).get("slack", {})
    try:
        return SlackSettings.model_validate(raw)
    except ValidationError as error:
        raise ValidationFailed([
            FieldProblem("contacts.toml slack." + ".".join(str(p) for p in e["loc"]), e.get("input"), e["msg"])
            for e in error.errors()
        ]) from None
