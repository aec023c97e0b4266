"""What every listener shares: the acting user the middleware attached, and private replies."""

from __future__ import annotations

from slack_bolt import BoltContext, Respond

from bot import blocks, responses
from bot.commands import Reply
from bot.text import clip_escaped, escape
from core.errors import ContactsError
from core.policy import Actor

SOMETHING_WENT_WRONG = (":warning: Something went wrong on our side; it was logged. Changes are all-or-nothing, so "
                        "try again.")


def actor_of(context: BoltContext) -> Actor:
    actor = context.get("actor")
    assert isinstance(actor, Actor), "attach_actor runs before every listener that has a user"
    return actor


def answer(respond: Respond, reply: Reply, *, below: bool = False) -> None:
    """Send ``reply`` to the person who asked only; ``below`` keeps the message they clicked in."""
    responses.post(respond.response_url, {"blocks": reply.blocks, "text": clip_escaped(reply.text, 3000),
                                          "response_type": "ephemeral", "replace_original": False if below else None})


def refusal(error: Exception) -> Reply:
    """Why nothing happened: core's words for a refusal, a plain apology for anything else."""
    if isinstance(error, ContactsError):
        return Reply(blocks.message(f":warning: {escape(error)}"), str(error))
    return Reply(blocks.message(SOMETHING_WENT_WRONG), "Something went wrong")


def refuse(respond: Respond, error: Exception) -> None:
    """Tell only the person who asked why nothing happened, below whatever they clicked."""
    answer(respond, refusal(error), below=True)
