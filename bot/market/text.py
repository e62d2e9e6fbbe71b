"""Plain-text rendering of a SignalReport in the current language (CLI, logs, fallbacks).

Every rendering ends with the sample size and the "heuristic, not advice" line.
"""

from __future__ import annotations

from datetime import date

from bot.i18n import Language, _, fmt_date, fmt_number, fmt_percent, ngettext, use_language
from bot.market.aftermath import Aftermath
from bot.market.breakout import Breakout, BreakoutRules
from bot.market.context import (
    MARKER_DOMINANCE,
    MARKER_ETH_BTC,
    MARKER_GREED,
    CryptoContext,
    Marker,
    fear_greed_band,
    is_stale,
)
from bot.market.report import SignalReport

DAYS_PER_MONTH = 30.44


def months_text(days: int) -> str:
    """A lag as "7 months"; under six weeks in days, so a 2-day lag never reads "0 months"."""
    if days < 45:
        return ngettext("%(n)d day", "%(n)d days", days) % {"n": days}
    n = round(days / DAYS_PER_MONTH)
    return ngettext("%(n)d month", "%(n)d months", n) % {"n": n}


def fear_greed_label(value: float) -> str:
    labels = {
        "extreme_fear": _("Extreme Fear"),
        "fear": _("Fear"),
        "neutral": _("Neutral"),
        "greed": _("Greed"),
        "extreme_greed": _("Extreme Greed"),
    }
    return labels[fear_greed_band(value)]


def rule_text(rules: BreakoutRules) -> str:
    if rules.confirm_rule == "month_end":
        confirm = _("confirmed by a month-end close above the old record")
    else:
        confirm = ngettext(
            "confirmed by %(n)d close above the old record",
            "confirmed by %(n)d consecutive closes above the old record",
            rules.confirm_sessions,
        ) % {"n": rules.confirm_sessions}
    return _(
        "Rule: a breakout is the first close above a record that stood at least "
        "%(sessions)d sessions; %(confirm)s."
    ) % {"sessions": rules.min_sessions, "confirm": confirm}


def honesty_text(report: SignalReport) -> str:
    cases = report.completed_cases
    sample = ngettext(
        "Sample size: %(n)d completed case.",
        "Sample size: %(n)d completed cases.",
        cases,
    ) % {"n": cases}
    return sample + " " + _("A heuristic, not a prediction. Not financial advice.")


def _chop_text(b: Breakout) -> str:
    if b.closes_below == 0:
        return ngettext(
            "did not close below the old record in the next %(n)d session",
            "did not close below the old record in the next %(n)d sessions",
            b.sessions_after,
        ) % {"n": b.sessions_after}
    return ngettext(
        "closed back below the old record on %(below)d of the next %(n)d session",
        "closed back below the old record on %(below)d of the next %(n)d sessions",
        b.sessions_after,
    ) % {"below": b.closes_below, "n": b.sessions_after}


def _breakout_line(b: Breakout) -> str:
    line = _(
        "%(date)s: closed at %(close)s above the record of %(record)s from %(record_date)s "
        "(it stood %(stood)d sessions)"
    ) % {
        "date": fmt_date(b.date, "medium"),
        "close": fmt_number(b.close),
        "record": fmt_number(b.old_record),
        "record_date": fmt_date(b.old_record_date, "medium"),
        "stood": b.record_stood,
    }
    if b.confirmed_on:
        confirmed = _("confirmed on %(date)s") % {"date": fmt_date(b.confirmed_on, "medium")}
    else:
        confirmed = _("not confirmed")
    return f"{line}; {confirmed}; {_chop_text(b)}."


def aftermath_lines(a: Aftermath) -> list[str]:
    b = a.breakout
    head = _breakout_line(b)
    if not a.window_complete:
        head += " " + _("Still open: the 18-month window ends on %(date)s.") % {
            "date": fmt_date(a.window_end, "medium")
        }
    changes = []
    for h in a.changes:
        if h.change is None:
            changes.append(_("after %(n)d months: not yet") % {"n": h.months})
        else:
            changes.append(
                _("after %(n)d months: %(change)s")
                % {"n": h.months, "change": fmt_percent(h.change, signed=True)}
            )
    lines = [
        head,
        "  "
        + _("ETH/BTC at the breakout: %(value)s; %(changes)s.")
        % {"value": fmt_number(a.eth_btc_start[1], 5), "changes": ", ".join(changes)},
    ]
    if a.eth_btc_peak and a.peak_lag_days is not None:
        template = (
            _("ETH/BTC peak within 18 months: %(value)s on %(date)s (%(lag)s later).")
            if a.window_complete
            else _("ETH/BTC peak so far: %(value)s on %(date)s (%(lag)s later).")
        )
        lines.append(
            "  "
            + template
            % {
                "value": fmt_number(a.eth_btc_peak[1], 5),
                "date": fmt_date(a.eth_btc_peak[0], "medium"),
                "lag": months_text(a.peak_lag_days),
            }
        )
    if a.dominance_low and a.dominance_lag_days is not None:
        template = (
            _("BTC dominance low: %(value)s on %(date)s (%(lag)s later).")
            if a.dominance_complete
            else _("BTC dominance low so far: %(value)s on %(date)s (%(lag)s later).")
        )
        text = template % {
            "value": fmt_percent(a.dominance_low[1] / 100),
            "date": fmt_date(a.dominance_low[0], "medium"),
            "lag": months_text(a.dominance_lag_days),
        }
        if a.dominance_start:
            text += " " + _("At the breakout: %(value)s.") % {
                "value": fmt_percent(a.dominance_start[1] / 100)
            }
        if a.dominance_partial and a.dominance_from:
            text += " " + _(
                "Searched from %(date)s only: earlier dominance data is not comparable."
            ) % {"date": fmt_date(a.dominance_from, "medium")}
        lines.append("  " + text)
    return lines


def _as_of(day: date) -> str:
    return _("as of %(date)s") % {"date": fmt_date(day, "medium")}


def _marker_text(marker: Marker) -> str:
    names = {
        MARKER_ETH_BTC: _("ETH/BTC up at least %(threshold)s over 90 days")
        % {"threshold": fmt_percent(marker.threshold, 0)},
        MARKER_DOMINANCE: _("BTC dominance at least %(points)s points below its 1-year high")
        % {"points": fmt_number(marker.threshold, 0)},
        MARKER_GREED: _("Fear & Greed at %(value)s or higher (greed)")
        % {"value": fmt_number(marker.threshold, 0)},
    }
    if marker.present is None:
        status = _("unknown (no data)")
    else:
        status = _("present") if marker.present else _("absent")
    return f"  [{'x' if marker.present else ' '}] {names[marker.key]}: {status}"


def context_lines(c: CryptoContext, today: date) -> list[str]:
    lines = [_("Crypto today:")]
    if c.eth_btc:
        text = _("ETH/BTC %(value)s (%(as_of)s)") % {
            "value": fmt_number(c.eth_btc[1], 5),
            "as_of": _as_of(c.eth_btc[0]),
        }
        if c.eth_btc_change is not None:
            text += ", " + _("%(change)s over 90 days") % {
                "change": fmt_percent(c.eth_btc_change, signed=True)
            }
        lines.append("• " + text)
    if c.dominance:
        basis = "TradingView" if c.dominance_basis == "tradingview" else "CoinGecko"
        text = _("BTC dominance %(value)s (%(basis)s, %(as_of)s)") % {
            "value": fmt_percent(c.dominance[1] / 100),
            "basis": basis,
            "as_of": _as_of(c.dominance[0]),
        }
        if c.dominance_high and c.dominance_gap is not None:
            text += ", " + _("%(gap)s points below its 1-year high of %(high)s (%(date)s)") % {
                "gap": fmt_number(c.dominance_gap, 1),
                "high": fmt_percent(c.dominance_high[1] / 100),
                "date": fmt_date(c.dominance_high[0], "medium"),
            }
        lines.append("• " + text)
        if c.dominance_live:
            lines.append(
                "  "
                + _("Newer CoinGecko reading: %(value)s (%(as_of)s; other basis, not compared).")
                % {
                    "value": fmt_percent(c.dominance_live[1] / 100),
                    "as_of": _as_of(c.dominance_live[0]),
                }
            )
    if c.fear_greed:
        lines.append(
            "• "
            + _("Fear & Greed %(value)s, %(label)s (%(as_of)s)")
            % {
                "value": fmt_number(c.fear_greed[1], 0),
                "label": fear_greed_label(c.fear_greed[1]),
                "as_of": _as_of(c.fear_greed[0]),
            }
        )
    lines.append(verdict_text(c))
    lines.extend(_marker_text(m) for m in c.markers)
    if any(is_stale(p, today) for p in (c.eth_btc, c.dominance, c.fear_greed)):
        lines.append(_("Some of these figures are more than a week old: see their dates."))
    return lines


def verdict_text(c: CryptoContext) -> str:
    total = len(c.markers)
    if c.present_count == total:
        return _("Altseason markers: all %(total)d present now.") % {"total": total}
    if c.present_count == 0:
        return _("Altseason markers: none of %(total)d present now.") % {"total": total}
    return _("Altseason markers: %(n)d of %(total)d present now, so not all.") % {
        "n": c.present_count,
        "total": total,
    }


def state_lines(report: SignalReport) -> list[str]:
    s = report.state
    if s is None:
        return [_("No Russell 2000 data stored.")]
    lines = [
        _("Russell 2000: %(close)s on %(date)s.")
        % {"close": fmt_number(s.last_close), "date": fmt_date(s.last_date, "medium")}
    ]
    if s.at_record:
        lines.append(_("That is a record close."))
    else:
        lines.append(
            _("Record close: %(record)s on %(date)s; now %(distance)s below it.")
            % {
                "record": fmt_number(s.record),
                "date": fmt_date(s.record_date, "medium"),
                "distance": fmt_percent(-s.distance),
            }
        )
    if s.armed:
        lines.append(
            _("The record has stood %(n)d sessions: the next close above it is a breakout.")
            % {"n": s.sessions_since_record}
        )
    b = s.last_breakout
    if b is not None and s.sessions_since_breakout is not None:
        lines.append(
            _("Last breakout: %(line)s") % {"line": _breakout_line(b)}
            + " "
            + ngettext(
                "%(n)d session ago.",
                "%(n)d sessions ago.",
                s.sessions_since_breakout,
            )
            % {"n": s.sessions_since_breakout}
        )
    return lines


def render_report_text(report: SignalReport, language: Language) -> str:
    with use_language(language):
        title = _("Russell 2000 breakout signal")
        if report.as_of:
            title += f" ({_as_of(report.as_of)})"
        lines = [
            title,
            "",
            *state_lines(report),
            "",
            _("Past breakouts and what crypto did next:"),
        ]
        for a in report.aftermaths:
            head, *rest = aftermath_lines(a)
            lines.append("• " + head)
            lines.extend(rest)
        earlier = [b for b in report.breakouts if b not in {a.breakout for a in report.aftermaths}]
        if earlier:
            lines.append(
                _("Earlier breakouts, before crypto data: %(dates)s.")
                % {"dates": "; ".join(fmt_date(b.date, "medium") for b in earlier)}
            )
        lines += [
            "",
            *context_lines(report.context, report.generated_at.date()),
            "",
            rule_text(report.rules),
        ]
        lines.append(honesty_text(report))
        return "\n".join(lines)
