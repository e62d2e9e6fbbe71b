"""Plain-text sentiment reports in the current language (CLI output; cogs can reuse them)."""

from __future__ import annotations

from bot.i18n import N_, _, fmt_number, fmt_percent
from bot.labels import label_name
from bot.sentiment.aggregate import SentimentSummary
from bot.sentiment.evaluate import EvalReport
from bot.sentiment.factory import describe_backend
from bot.sentiment.types import LABELS

PERIOD_NAMES = {
    "24h": N_("the last 24 hours"),
    "7d": N_("the last 7 days"),
    "30d": N_("the last 30 days"),
}


def _signed(value: float) -> str:
    text = fmt_number(abs(value), 2)
    return ("+" if value >= 0 else "−") + text


def mood_label(mean: float, threshold: float = 0.1) -> str:
    """The label a mean score reads as (a small dead zone around zero is neutral)."""
    if mean > threshold:
        return label_name("bullish")
    if mean < -threshold:
        return label_name("bearish")
    return label_name("neutral")


def format_summary(summary: SentimentSummary) -> str:
    period = _(PERIOD_NAMES[summary.period])
    if summary.coin:
        title = _("Sentiment for %(coin)s over %(period)s") % {
            "coin": summary.coin,
            "period": period,
        }
    else:
        title = _("News sentiment over %(period)s") % {"period": period}
    current, previous = summary.current, summary.previous
    if current.mean_score is None:
        return title + "\n" + _("No scored articles in this period.")
    lines = [title]
    lines.append(
        _("Mean score: %(score)s (%(mood)s)")
        % {"score": _signed(current.mean_score), "mood": mood_label(current.mean_score)}
    )
    if summary.change is not None and previous.mean_score is not None:
        lines.append(
            _("Previous period: %(score)s, change %(change)s")
            % {"score": _signed(previous.mean_score), "change": _signed(summary.change)}
        )
    else:
        lines.append(_("Previous period: no scored articles."))
    counts = ", ".join(f"{label_name(label)} {current.counts[label]}" for label in reversed(LABELS))
    lines.append(
        _("Articles: %(n)s (%(counts)s)") % {"n": fmt_number(current.articles, 0), "counts": counts}
    )
    basis = ", ".join(
        f"{describe_backend(backend, model)} ({fmt_number(n, 0)})"
        for (backend, model), n in sorted(summary.sources.items(), key=lambda kv: -kv[1])
    )
    lines.append(_("Scored by: %(basis)s") % {"basis": basis})
    return "\n".join(lines)


def format_eval(report: EvalReport, backend: str) -> str:
    lines = [
        _("Evaluation of %(backend)s on %(n)s texts") % {"backend": backend, "n": report.total},
        _("Accuracy: %(acc)s, macro-F1: %(f1)s")
        % {"acc": fmt_percent(report.accuracy), "f1": fmt_number(report.macro_f1, 3)},
        "",
        f"{'':<10}{_('precision'):>11}{_('recall'):>11}{'F1':>8}{_('support'):>10}",
    ]
    for label in LABELS:
        fig = report.per_class[label]
        lines.append(
            f"{label_name(label):<10}{fmt_percent(fig.precision):>11}"
            f"{fmt_percent(fig.recall):>11}{fmt_number(fig.f1, 3):>8}{fig.support:>10}"
        )
    lines += ["", _("Confusion matrix (rows: true label, columns: predicted):")]
    lines.append(f"{'':<10}" + "".join(f"{label_name(p):>10}" for p in LABELS))
    for gold in LABELS:
        lines.append(
            f"{label_name(gold):<10}" + "".join(f"{report.confusion[gold][p]:>10}" for p in LABELS)
        )
    return "\n".join(lines)
