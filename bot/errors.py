"""The project's user-facing errors.

Raise these anywhere in the core; the Discord layer (bot/tree.py) shows `message()` to the
user, short, translated and ephemeral, and nothing else happens. The message is built when
shown, so it is in the language of the interaction that hit it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.i18n import N_, _, fmt_in


class UserFacingError(Exception):
    """An error whose explanation is meant for the person who ran the command."""

    # English source text with %(name)s placeholders, marked for extraction by subclasses.
    template: str = N_("Something went wrong.")

    def __init__(self, **params: Any) -> None:
        super().__init__(self.template % params if params else self.template)
        self.params = params

    def message(self) -> str:
        text = _(self.template)
        return text % self.params if self.params else text


class BadInput(UserFacingError):
    def __init__(self, text: str, **params: Any) -> None:
        # `text` must already be wrapped in N_() at the raise site for extraction.
        self.template = text
        super().__init__(**params)


class DataNotReady(UserFacingError):
    template = N_("No data yet: the bot is still collecting it. Try again in a few minutes.")

    def __init__(self, text: str | None = None, **params: Any) -> None:
        if text is not None:
            self.template = text
        super().__init__(**params)


class MissingPermission(UserFacingError):
    template = N_("You need the %(permission)s permission to do that.")


class RateLimited(UserFacingError):
    """Too many attempts in a while; says when the next one will be accepted."""

    def __init__(self, text: str, retry_after: timedelta) -> None:
        # `text` is wrapped in N_() at the raise site and has a %(when)s placeholder.
        self.template = text
        self.retry_after = retry_after
        super().__init__()

    def message(self) -> str:
        # Formatted when shown: "in 8 minutes" / "over 8 minuten".
        return _(self.template) % {"when": fmt_in(self.retry_after)}
