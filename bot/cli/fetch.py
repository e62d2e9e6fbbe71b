"""`python -m bot fetch`: one ingest pass over the configured feeds, with a report."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from bot.config import Settings
from bot.i18n import N_, _, fmt_number, ngettext, use_language
from bot.news.pipeline import FeedReport, IngestReport, ingest
from bot.runtime.services import open_services

# How each feed status reads in the report.
STATUS_LABELS = {
    "ok": N_("ok"),
    "not_modified": N_("not modified"),
    "failing": N_("failing"),
    "blocked": N_("blocked"),
    "gone": N_("gone"),
    "skipped": N_("waiting (backoff)"),
}


def register(sub: Any) -> None:
    parser = sub.add_parser("fetch", help="fetch all feeds once and store new articles")
    parser.set_defaults(handler=handle)


def status_label(status: str) -> str:
    return _(STATUS_LABELS.get(status, status))


def progress_line(report: FeedReport, done: int, total: int) -> str:
    detail = report.error or ngettext("%(n)s new article", "%(n)s new articles", report.new) % {
        "n": report.new
    }
    return f"[{done}/{total}] {report.feed.name}: {status_label(report.status)} ({detail})"


def report_table(report: IngestReport) -> str:
    header = [_("Feed"), _("Status"), _("Entries"), _("New"), _("Note")]
    rows = [header]
    for r in sorted(report.feeds, key=lambda r: r.feed.name.lower()):
        notes = [r.error] if r.error else []
        if r.backlog and r.new:
            notes.append(_("backlog, stored as old news"))
        if r.warning:
            notes.append(_("malformed, read anyway"))
        note = "; ".join(notes)
        rows.append([r.feed.name, status_label(r.status), str(r.entries), str(r.new), note])
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = [
        "  ".join(cell.ljust(widths[i]) if i < 4 else cell for i, cell in enumerate(row)).rstrip()
        for row in rows
    ]
    lines.insert(1, "-" * len(lines[0]))
    ok = sum(r.status in ("ok", "not_modified") for r in report.feeds)
    lines.append("")
    lines.append(
        _("%(new)s new articles from %(ok)s of %(total)s feeds in %(seconds)s s.")
        % {
            "new": report.new_articles,
            "ok": ok,
            "total": len(report.feeds),
            "seconds": fmt_number(report.seconds, 1),
        }
    )
    return "\n".join(lines)


def print_progress(report: FeedReport, done: int, total: int) -> None:
    print(progress_line(report, done, total), file=sys.stderr, flush=True)


async def _run(settings: Settings) -> int:
    async with open_services(settings) as services:
        report = await ingest(services, progress=print_progress)
    print(report_table(report))
    return 0 if any(r.status in ("ok", "not_modified") for r in report.feeds) else 1


def handle(args: argparse.Namespace, settings: Settings) -> int:
    with use_language(settings.default_language):
        return asyncio.run(_run(settings))
