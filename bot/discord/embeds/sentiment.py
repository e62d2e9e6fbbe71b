"""/sentiment as an embed: the summary text, coloured by the mood."""

from __future__ import annotations

import discord

from bot.discord.render import BEARISH, BULLISH, NEUTRAL, EmbedBuilder
from bot.i18n import _
from bot.labels import DISCLAIMER
from bot.sentiment.aggregate import SentimentSummary
from bot.sentiment.report import format_summary

LEAN = 0.1


def sentiment_embed(summary: SentimentSummary) -> discord.Embed:
    title, _sep, body = format_summary(summary).partition("\n")
    mean = summary.current.mean_score
    colour = NEUTRAL
    if mean is not None and abs(mean) > LEAN:
        colour = BULLISH if mean > 0 else BEARISH
    return EmbedBuilder(title, body, colour).footer(_(DISCLAIMER))
