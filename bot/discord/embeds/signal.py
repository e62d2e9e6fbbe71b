"""/signal as an embed: state, past breakouts with what crypto did next, today's markers."""

from __future__ import annotations

import discord

from bot.discord.render import EmbedBuilder
from bot.i18n import _, fmt_date
from bot.market.report import SignalReport
from bot.market.text import (
    aftermath_lines,
    context_lines,
    honesty_text,
    rule_text,
    state_lines,
)

CHART_NAME = "russell2000.png"


def signal_embed(report: SignalReport, *, with_chart: bool) -> discord.Embed:
    title = _("Russell 2000 breakout signal")
    builder = EmbedBuilder(title, "\n".join(state_lines(report)))
    for case in report.aftermaths:
        name = _("Breakout of %(date)s") % {"date": fmt_date(case.breakout.date, "medium")}
        builder.add_field(name, "\n".join(line.strip() for line in aftermath_lines(case)[1:]))
    builder.add_field(
        _("Crypto today"),
        "\n".join(context_lines(report.context, report.generated_at.date())[1:]),
    )
    if with_chart:
        builder.embed.set_image(url=f"attachment://{CHART_NAME}")
    return builder.footer(rule_text(report.rules) + "\n" + honesty_text(report))
