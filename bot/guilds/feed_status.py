"""What `/feeds list` says about a feed whose last fetch went wrong, in the reader's language.

The pass stores a status (bot.news.fetch.FetchStatus) and a reason code in `feed_state`; the
codes are stable (docs/news.md, docs/security.md), the sentences here are for people.
"""

from __future__ import annotations

from bot.i18n import N_, _

_BY_CODE = {
    "private_address": N_("refused: it points into a private network"),
    "bad_scheme": N_("refused: it redirects to something that is not a web address"),
    "redirect_loop": N_("too many redirects"),
    "unsupported_encoding": N_("compressed in a way I do not accept"),
    "bad_encoding": N_("compressed in a way I do not accept"),
    "timeout": N_("too slow to answer"),
    "not_xml": N_("not an RSS or Atom feed any more"),
}
_TOO_BIG = N_("too large or too complex to read")
_TOO_BIG_CODES = (
    "too_large",
    "too_deep",
    "too_many_elements",
    "too_many_attributes",
    "too_many_entities",
    "too_complex",
)
_BY_STATUS = {
    "blocked": N_("the site refuses us for now"),
    "gone": N_("the feed is gone"),
    "failing": N_("could not be fetched"),
}
_SLOW = N_("slow to answer, so fetched less often")


def feed_problem(status: str | None, error: str | None) -> str | None:
    """A short translated reason, or None when the last fetch went fine."""
    code = (error or "").split(":", 1)[0].strip()
    if code == "slow":
        return _(_SLOW)
    if status not in _BY_STATUS:
        return None
    if code in _BY_CODE:
        return _(_BY_CODE[code])
    if code in _TOO_BIG_CODES:
        return _(_TOO_BIG)
    return _(_BY_STATUS[status])
