"""/about as an embed."""

from __future__ import annotations

import discord

from bot.compose.about import AboutInfo, TranslationStatus
from bot.discord.render import EmbedBuilder
from bot.i18n import N_, _, fmt_date, fmt_number
from bot.labels import DISCLAIMER
from bot.market.series import (
    BTC_DOMINANCE,
    BTC_DOMINANCE_CG,
    BTC_USD,
    ETH_BTC,
    ETH_USD,
    FEAR_GREED,
    RUT,
)

SERIES_NAMES = {
    RUT: "Russell 2000",
    ETH_BTC: "ETH/BTC",
    BTC_DOMINANCE: N_("BTC dominance (TradingView)"),
    BTC_DOMINANCE_CG: N_("BTC dominance (CoinGecko)"),
    FEAR_GREED: "Fear & Greed",
    BTC_USD: "BTC/USD",
    ETH_USD: "ETH/USD",
}


def translation_text(status: TranslationStatus, server_on: bool) -> str:
    """Whether this server reads machine translations, with which models, or why not."""
    if not status.on:
        return _(
            "Off: no translation model is available, so stories are shown as written, with "
            "their language marked."
        )
    models = status.label
    if not server_on:
        return _(
            "Off on this server: stories are shown as written (turn it on with /language "
            "translate). Models: %(models)s"
        ) % {"models": models}
    return _("English ↔ Dutch, on: %(models)s") % {"models": models}


def about_embed(info: AboutInfo, backend: str, translate: bool = True) -> discord.Embed:
    builder = EmbedBuilder(
        _("Crypto news bot %(version)s") % {"version": info.version},
        _(
            "Crypto news from English and Dutch sources with sentiment, and the Russell 2000 "
            "breakout signal, in this server's language."
        ),
    )
    sources = _("%(en)s English and %(nl)s Dutch feeds; %(articles)s articles stored") % {
        "en": fmt_number(info.feeds_by_language.get("en", 0), 0),
        "nl": fmt_number(info.feeds_by_language.get("nl", 0), 0),
        "articles": fmt_number(info.articles, 0),
    }
    builder.add_field(_("Sources"), sources)
    builder.add_field(_("Sentiment"), backend)
    builder.add_field(_("Translation"), translation_text(info.translation, translate))
    fresh = [
        # <t:...:R> is Discord markup: "5 minutes ago" in each reader's language and zone.
        _("News: %(time)s") % {"time": f"<t:{int(info.latest_article.timestamp())}:R>"}
        if info.latest_article
        else _("News: nothing fetched yet")
    ]
    for key, day in sorted(info.market_days.items()):
        fresh.append(f"{_(SERIES_NAMES.get(key, key))}: {fmt_date(day, 'medium')}")
    if not info.market_days:
        fresh.append(_("Market data: not loaded yet"))
    builder.add_field(_("Data as of"), "\n".join(fresh))
    return builder.footer(
        _(DISCLAIMER) + " " + _("The Russell 2000 signal is a heuristic, not a prediction.")
    )
