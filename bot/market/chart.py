"""The signal chart: Russell 2000 (log scale) with its record line and breakouts, ETH/BTC below.

Rendered with matplotlib's object API on the Agg canvas (no pyplot global state), so it is
safe in a worker thread: async callers use `await asyncio.to_thread(render_chart, report, lang)`.
Sized and styled for Discord's dark theme on a phone: 1200x800, large type, high contrast.
"""

from __future__ import annotations

import gc
import io
from datetime import date

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

from bot.i18n import Language, _, fmt_date, fmt_number, use_language
from bot.market.breakout import record_line
from bot.market.report import SignalReport
from bot.market.text import honesty_text

CHART_START = date(2015, 1, 1)
BACKGROUND = "#313338"  # Discord dark theme message background
PANEL = "#2b2d31"
TEXT = "#f2f3f5"
GRID = "#4e5058"
RUT_COLOR = "#5dadff"
RECORD_COLOR = "#f0b232"
BREAKOUT_COLOR = "#57f287"
ETH_BTC_COLOR = "#c79bff"


def _style(ax: Axes) -> None:
    ax.set_facecolor(PANEL)
    ax.tick_params(colors=TEXT, labelsize=15)
    ax.grid(True, color=GRID, linewidth=0.8, alpha=0.8)
    for spine in ax.spines.values():
        spine.set_color(GRID)


def render_chart(report: SignalReport, language: Language, *, start: date = CHART_START) -> bytes:
    """PNG bytes of the chart, with every text in `language`."""
    with use_language(language):
        rut = [p for p in report.rut if p[0] >= start]
        records = record_line(report.rut)[len(report.rut) - len(rut) :]
        eth = [p for p in report.eth_btc if p[0] >= start]

        fig = Figure(figsize=(12, 8), dpi=100, facecolor=BACKGROUND)
        FigureCanvasAgg(fig)
        top, bottom = fig.subplots(
            2, 1, sharex=True, gridspec_kw={"height_ratios": [2.2, 1], "hspace": 0.08}
        )
        for ax in (top, bottom):
            _style(ax)

        top.plot(
            [d for d, _v in rut],
            [v for _d, v in rut],
            color=RUT_COLOR,
            linewidth=1.6,
            label=_("Russell 2000 close"),
        )
        top.plot(
            [d for d, _v in rut],
            records,
            color=RECORD_COLOR,
            linewidth=1.6,
            linestyle="--",
            label=_("record close"),
        )
        top.set_yscale("log")
        top.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 1.5, 2.0, 3.0, 5.0)))
        top.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: fmt_number(v, 0)))
        top.yaxis.set_minor_formatter(NullFormatter())
        top.set_ylabel(_("Russell 2000 (log scale)"), color=TEXT, fontsize=16)

        shown = [b for b in report.breakouts if b.date >= start]
        top.scatter(
            [b.date for b in shown],
            [b.close for b in shown],
            marker="^",
            s=180,
            color=BREAKOUT_COLOR,
            zorder=5,
            label=_("breakout"),
        )
        for b in shown:
            for ax in (top, bottom):
                ax.axvline(b.date, color=BREAKOUT_COLOR, linewidth=1.2, linestyle=":", alpha=0.9)
            top.annotate(
                fmt_date(b.date, "MMM y"),
                (b.date, b.close),
                xytext=(0, -34),
                textcoords="offset points",
                ha="center",
                color=BREAKOUT_COLOR,
                fontsize=15,
                fontweight="bold",
                bbox={"boxstyle": "round,pad=0.25", "fc": PANEL, "ec": BREAKOUT_COLOR},
            )
        legend = top.legend(loc="upper left", fontsize=14, facecolor=PANEL, edgecolor=GRID)
        for label in legend.get_texts():
            label.set_color(TEXT)

        bottom.plot([d for d, _v in eth], [v for _d, v in eth], color=ETH_BTC_COLOR, linewidth=1.6)
        bottom.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: fmt_number(v, 2)))
        bottom.set_ylabel("ETH/BTC", color=TEXT, fontsize=16)

        title = _("Russell 2000 breakouts and ETH/BTC")
        if report.as_of:
            title += " · " + fmt_date(report.as_of, "medium")
        fig.suptitle(title, color=TEXT, fontsize=22, fontweight="bold", y=0.975)
        fig.text(0.5, 0.015, honesty_text(report), ha="center", color=TEXT, fontsize=14)
        fig.subplots_adjust(left=0.1, right=0.97, top=0.91, bottom=0.1)

        buf = io.BytesIO()
        fig.savefig(buf, format="png", facecolor=BACKGROUND)
        return buf.getvalue()


def draw_chart(report: SignalReport, language: Language) -> bytes:
    """`render_chart` for a worker thread of the long-lived Discord process.

    A drawn figure leaves ~8,000 objects in reference cycles (matplotlib's artists point at
    their axes and figure): freed here, right after drawing, by a collection of the two young
    generations, instead of by the next young collection, which would also walk every
    interaction in flight (a 10-25 ms pause in the middle of a burst)."""
    png = render_chart(report, language)
    gc.collect(1)
    return png
