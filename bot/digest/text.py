"""The digest's words, in the current language: line helpers for every renderer, and the
plain-text rendering for the terminal (`python -m bot digest`).

The embed renderer in the Discord layer reuses the helpers (`title_text`, `mood_text`,
`story_detail`, `coin_text`, `macro_lines`, `footer_text`) so both read the same.
"""

from __future__ import annotations

import textwrap

from bot.digest.model import CoinMood, Digest, Macro, Mood, StoryItem
from bot.digest.schedule import format_time
from bot.digest.store import DigestListing
from bot.i18n import _, fmt_date, fmt_number, fmt_percent, fmt_time, ngettext, use_language
from bot.labels import badge, label_name, origin_label
from bot.market.text import fear_greed_label
from bot.sentiment.factory import describe_backend


def _signed(value: float) -> str:
    return ("+" if value >= 0 else "−") + fmt_number(abs(value), 2)


def title_text(digest: Digest) -> str:
    return _("Crypto digest for %(date)s") % {"date": fmt_date(digest.day, "full")}


def mood_text(mood: Mood) -> str:
    if mood.score is None or mood.label is None:
        return _("No scored articles in the last 24 hours.")
    text = _("Market mood: %(label)s (%(score)s) over %(n)s articles in the last 24 hours") % {
        "label": label_name(mood.label),
        "score": _signed(mood.score),
        "n": fmt_number(mood.articles, 0),
    }
    if mood.change is not None:
        text += "; " + _("%(change)s against the day before") % {"change": _signed(mood.change)}
    else:
        text += "; " + _("no scores for the day before")
    return f"{badge(mood.label)} {text}."


def basis_text(mood: Mood) -> str:
    names = ", ".join(describe_backend(backend, model) for backend, model, _n in mood.basis)
    return _("Scored by: %(basis)s") % {"basis": names} if names else ""


def story_detail(story: StoryItem) -> str:
    """The lines under a story's title: summary, where its text comes from (machine-translated
    from English, say), sources, coins, sentiment."""
    parts = []
    if story.summary:
        parts.append(story.summary)
    if origin := origin_label(story.shown, story.origin):
        parts.append(f"🌐 {origin}")
    meta = [_("Sources: %(sources)s") % {"sources": ", ".join(story.sources)}]
    if story.coins:
        meta.append(_("Coins: %(coins)s") % {"coins": ", ".join(story.coins[:5])})
    if story.label is not None:
        meta.append(f"{badge(story.label)} {label_name(story.label)}")
    parts.append(" · ".join(meta))
    return "\n".join(parts)


def coin_text(coin: CoinMood) -> str:
    mentions = ngettext("%(n)d article", "%(n)d articles", coin.mentions) % {"n": coin.mentions}
    if coin.label is None or coin.score is None:
        return f"{coin.symbol}: {mentions}"
    mood = f"{label_name(coin.label)} ({_signed(coin.score)})"
    return f"{badge(coin.label)} {coin.symbol}: {mentions}, {mood}"


def macro_lines(macro: Macro) -> list[str]:
    lines = []
    if macro.rut_close is not None and macro.as_of is not None:
        if macro.rut_distance is not None and macro.rut_distance >= 0:
            where = _("at a record close")
        else:
            where = _("%(distance)s below its record") % {
                "distance": fmt_percent(-(macro.rut_distance or 0.0))
            }
        line = _("Russell 2000: %(close)s on %(date)s, %(where)s.") % {
            "close": fmt_number(macro.rut_close),
            "date": fmt_date(macro.as_of, "medium"),
            "where": where,
        }
        if macro.rut_armed:
            line += " " + _("The next close above the record is a breakout.")
        lines.append(line)
    if macro.last_breakout is not None:
        status = _("confirmed") if macro.last_breakout_confirmed else _("not confirmed")
        lines.append(
            _("Last breakout: %(date)s (%(status)s).")
            % {"date": fmt_date(macro.last_breakout, "medium"), "status": status}
        )
    if macro.eth_btc is not None:
        line = _("ETH/BTC: %(value)s") % {"value": fmt_number(macro.eth_btc, 5)}
        if macro.eth_btc_change is not None:
            line += " " + _("(%(change)s over 90 days)") % {
                "change": fmt_percent(macro.eth_btc_change, signed=True)
            }
        lines.append(line + ".")
    if macro.btc_dominance is not None:
        line = _("BTC dominance: %(value)s") % {"value": fmt_percent(macro.btc_dominance / 100)}
        if macro.dominance_gap is not None:
            line += " " + _("(%(gap)s points below its 1-year high)") % {
                "gap": fmt_number(macro.dominance_gap, 1)
            }
        lines.append(line + ".")
    if macro.fear_greed is not None:
        lines.append(
            _("Fear & Greed: %(value)s (%(label)s).")
            % {
                "value": fmt_number(macro.fear_greed, 0),
                "label": fear_greed_label(macro.fear_greed),
            }
        )
    if macro.markers_total:
        lines.append(
            _("Altseason markers present: %(n)d of %(total)d.")
            % {"n": macro.markers_present, "total": macro.markers_total}
        )
    lines.append(
        ngettext(
            "The breakout signal rests on %(n)d completed historical case: a heuristic, "
            "not a prediction.",
            "The breakout signal rests on %(n)d completed historical cases: a heuristic, "
            "not a prediction.",
            macro.sample_size,
        )
        % {"n": macro.sample_size}
    )
    return lines


def footer_text(marker: str | None = None) -> str:
    """'Not financial advice.' and, on posted digests, the reference find_sent looks for."""
    text = _("This digest is not financial advice.")
    return f"{text} · ref {marker}" if marker else text


def render_digest_text(digest: Digest) -> str:
    """The whole digest as plain text in its own language."""
    with use_language(digest.language):
        lines = [title_text(digest), "=" * len(title_text(digest)), "", mood_text(digest.mood)]
        if basis := basis_text(digest.mood):
            lines.append(basis)
        lines += ["", _("Top stories")]
        if not digest.stories:
            lines.append(_("No stories in the last 24 hours yet."))
        for n, story in enumerate(digest.stories, 1):
            lines.append(f"{n}. {story.title}")
            for part in story_detail(story).splitlines():
                lines += textwrap.wrap(part, 96, initial_indent="   ", subsequent_indent="   ")
            lines.append("   " + story.link)
        if digest.coins:
            lines += ["", _("Most mentioned coins")]
            lines.extend("• " + coin_text(c) for c in digest.coins)
        if digest.macro is not None:
            lines += ["", _("Macro")]
            lines.extend("• " + line for line in macro_lines(digest.macro))
        lines += ["", footer_text()]
        return "\n".join(lines)


def listing_text(rows: list[DigestListing]) -> str:
    """`/digest list`: each subscription with its next delivery in local time, or why it is off."""
    if not rows:
        return _("No daily digests on this server yet. Add one with /digest subscribe.")
    lines = []
    for row in rows:
        sub = row.subscription
        head = f"<#{sub.channel_id}> · {format_time(sub.local_time)} ({sub.timezone})"
        if row.next_local is not None:
            when = _("next: %(date)s at %(time)s") % {
                "date": fmt_date(row.next_local, "full"),
                "time": fmt_time(row.next_local),
            }
            lines.append(f"{head} · {when}")
        else:
            lines.append(f"{head} · ⛔ " + _("off: %(reason)s") % {"reason": row.reason})
    return "\n".join(lines)
