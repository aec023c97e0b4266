"""``/contact``."""

from __future__ import annotations

from slack_bolt import Ack, App, BoltContext, Respond

from bot import commands
from bot.listeners.common import actor_of, answer
from bot.settings import SlackSettings
from core.directory import Directory


def register(app: App, directory: Directory, settings: SlackSettings) -> None:
    @app.command("/contact")
    def contact_command(ack: Ack, command: dict, context: BoltContext, respond: Respond) -> None:
        ack()
        answer(respond, commands.run(directory, actor_of(context), command.get("text") or ""))
