"""The words of /live: what a subscription filters on, and `/live list`."""

from __future__ import annotations

from bot.i18n import _, fmt_datetime, ngettext
from bot.live.store import LiveFilters, LiveListing


def filters_text(filters: LiveFilters) -> str:
    """'all stories' / 'BTC · Dutch sources · at least 2 sources'."""
    parts = []
    if filters.coin:
        parts.append(filters.coin)
    if filters.language == "en":
        parts.append(_("English sources"))
    elif filters.language == "nl":
        parts.append(_("Dutch sources"))
    if filters.min_sources > 1:
        parts.append(
            ngettext("at least %(n)d source", "at least %(n)d sources", filters.min_sources)
            % {"n": filters.min_sources}
        )
    return " · ".join(parts) if parts else _("all stories")


def listing_text(rows: list[LiveListing]) -> str:
    """Each live channel with its filters and last post, or why it stopped."""
    if not rows:
        return _("No live news channels on this server yet. Add one with /live subscribe.")
    lines = []
    for row in rows:
        sub = row.subscription
        filters = LiveFilters(sub.coin, sub.language, sub.min_sources)
        head = f"<#{sub.channel_id}> · {filters_text(filters)}"
        if row.last_post_at is not None:
            last = _("last post: %(when)s") % {"when": fmt_datetime(row.last_post_at)}
        else:
            last = _("nothing posted yet")
        if row.reason is not None:
            lines.append(f"{head} · ⛔ " + _("stopped: %(reason)s") % {"reason": row.reason})
            lines.append(f"    {last}")
        else:
            lines.append(f"{head} · {last}")
    return "\n".join(lines)
