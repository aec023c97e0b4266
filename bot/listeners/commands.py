"""``/contact``."""

from __future__ import annotations

from slack_bolt import App, BoltContext, Respond

from bot import commands
from bot.listeners.common import actor_of, after_ack, answer
from bot.settings import SlackSettings
from core.directory import Directory


def register(app: App, directory: Directory, settings: SlackSettings) -> None:
    def contact_command(command: dict, context: BoltContext, respond: Respond) -> None:
        answer(respond, commands.run(directory, actor_of(context), command.get("text") or ""))

    after_ack(app.command("/contact"), contact_command, directory)
