"""What every listener shares: the acting user the middleware attached, private replies, and how work is run after
Slack has its acknowledgement and how a failure is answered."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, BoltContext, Respond

from bot import blocks, responses
from bot.commands import Reply
from bot.text import clip_escaped, escape
from core.directory import Directory
from core.errors import ContactsError
from core.policy import Actor

log = logging.getLogger(__name__)

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


def first_time(context: BoltContext, directory: Directory) -> bool:
    """False for a request Slack sent again (a replayed command or click, a redelivered event) that was acted on
    already, in this process or any other on the directory: it must do nothing. The claim is durable."""
    key = context.get("delivery")
    return key is None or directory.claim_delivery(key)


def forget(context: BoltContext, directory: Directory) -> None:
    """Nothing was done for this request after all: let a repeat of it through."""
    if context.get("delivery"):
        directory.release_delivery(context["delivery"])


def failed(error: Exception, context: BoltContext, directory: Directory) -> None:
    """A listener failed: a refusal from core goes back to the person privately; anything else is logged, answered
    with an apology, and its claim on the request released so that Slack's retry can do the work."""
    if not isinstance(error, ContactsError):
        log.error("a Slack request failed", exc_info=error)
        forget(context, directory)
    if context.respond is not None:  # events have no one to answer
        refuse(context.respond, error)


def _acknowledge(ack: Ack) -> None:
    ack()


def after_ack(listen: Callable[..., Any], work: Callable[..., None], directory: Directory) -> None:
    """Register ``work`` (which takes ``context``) to run once Slack has its acknowledgement, as a Bolt lazy
    listener: the HTTP answer never waits for the directory or the Web API, and nothing polls for it."""

    @functools.wraps(work)  # Bolt reads the arguments to pass from ``work`` itself
    def lazy(**kwargs: Any) -> None:
        try:
            if first_time(kwargs["context"], directory):
                work(**kwargs)
        except Exception as error:  # Bolt only logs what a lazy listener raises
            failed(error, kwargs["context"], directory)

    listen(ack=_acknowledge, lazy=[lazy])
