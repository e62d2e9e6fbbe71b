"""`python -m bot status`: feeds, the last pipeline pass, the scoring backlog and deliveries
per shard, read from the shared database (so it works next to running processes)."""

from __future__ import annotations

import argparse
import asyncio
from datetime import UTC, datetime
from typing import Any

from bot.cli.fetch import status_label
from bot.config import Settings
from bot.i18n import _, fmt_datetime, fmt_number, ngettext, use_language
from bot.runtime.health import FeedHealth, PipelineRun, ShardLoad, Status, gather_status
from bot.runtime.services import open_services
from bot.runtime.supervisor import ChildState, child_state, discord_process_key
from bot.shards import process_plan
from bot.storage import Database
from bot.translate.state import TranslationState


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "status", help="feeds, last pipeline pass, backlog and deliveries per shard"
    )
    parser.add_argument(
        "--shards",
        type=int,
        help="group deliveries by this many shards (default: SHARD_COUNT, else 1)",
    )
    parser.set_defaults(handler=handle)


def _when(value: datetime | None) -> str:
    return fmt_datetime(value, "short") if value is not None else "-"


def _table(rows: list[list[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    lines = [
        "  ".join(
            [cell.ljust(w) for cell, w in zip(row, widths, strict=False)] + [row[-1]]
        ).rstrip()
        for row in rows
    ]
    lines.insert(1, "-" * max(len(line) for line in lines))
    return lines


def feeds_section(feeds: list[FeedHealth]) -> list[str]:
    if not feeds:
        return [_("No feeds stored yet: run `python -m bot pipeline --once`.")]
    rows = [[_("Feed"), _("Status"), _("Failures"), _("Last OK"), _("Next fetch"), _("Error")]]
    for f in feeds:
        status = _("new") if f.status == "new" else status_label(f.status)
        error = (f.last_error or "")[:60]
        rows.append(
            [f.name, status, str(f.failures), _when(f.last_ok_at), _when(f.next_fetch_at), error]
        )
    return _table(rows)


def run_section(run: PipelineRun | None, unscored: int) -> list[str]:
    lines = []
    if run is None:
        lines.append(_("Last pipeline pass: none recorded yet."))
    elif run.ok:
        lines.append(
            _(
                "Last pipeline pass: %(when)s; feeds: %(feeds)s, new articles: %(new)s, "
                "scored: %(scored)s, time: %(seconds)s s."
            )
            % {
                "when": _when(run.finished_at),
                "new": run.new_articles,
                "feeds": run.feeds,
                "scored": run.scored,
                "seconds": fmt_number((run.finished_at - run.started_at).total_seconds(), 1),
            }
        )
    else:
        lines.append(
            _("Last pipeline pass: %(when)s, FAILED: %(error)s")
            % {"when": _when(run.finished_at), "error": run.error or "?"}
        )
    lines.append(
        ngettext(
            "Scoring backlog: %(n)s article not scored yet.",
            "Scoring backlog: %(n)s articles not scored yet.",
            unscored,
        )
        % {"n": unscored}
    )
    return lines


def child_section(child: ChildState | None, discord: tuple[int, str] | None = None) -> list[str]:
    """The pipeline process `run` supervises (none recorded: it runs elsewhere, or never ran);
    `discord`: instead, the extra Discord process of this number and these shards."""
    if child is None:
        return []
    name = {"n": discord[0], "shards": discord[1]} if discord else {}
    if child.state == "running":
        running = {"pid": child.pid, "when": _when(child.started_at)}
        if discord:
            line = _(
                "Discord process %(n)s (shards %(shards)s): running (pid %(pid)s) since %(when)s."
            ) % (name | running)
        else:
            line = _("Pipeline process: running (pid %(pid)s) since %(when)s.") % running
    elif child.state == "restarting":
        exited = {
            "code": child.last_exit,
            "when": _when(child.last_exit_at),
            "next": _when(child.next_start_at),
        }
        if discord:
            line = _(
                "Discord process %(n)s (shards %(shards)s): exited with code %(code)s at "
                "%(when)s; restarting at %(next)s."
            ) % (name | exited)
        else:
            line = (
                _(
                    "Pipeline process: exited with code %(code)s at %(when)s; "
                    "restarting at %(next)s."
                )
                % exited
            )
    else:
        stopped = {"when": _when(child.updated_at)}
        if discord:
            line = _(
                "Discord process %(n)s (shards %(shards)s): stopped with the bot at %(when)s."
            ) % (name | stopped)
        else:
            line = _("Pipeline process: stopped with the bot at %(when)s.") % stopped
    lines = [line]
    if child.restarts:
        lines.append(
            ngettext(
                "Restarted %(n)s time since the bot started.",
                "Restarted %(n)s times since the bot started.",
                child.restarts,
            )
            % {"n": child.restarts}
        )
    return lines


def translation_line(state: TranslationState | None) -> str:
    if state is None:
        return _("Translation: no pipeline pass has run it yet.")
    if not state.on:
        return _("Translation: off (%(reason)s).") % {"reason": state.reason}
    models = ", ".join(f"{lang}: {model}" for lang, model in sorted(state.models.items()))
    return _(
        "Translation: on (%(models)s); last pass: %(n)s translated, %(kept)s kept original."
    ) % {"models": models, "n": state.translated, "kept": state.fallbacks}


def shards_section(shards: list[ShardLoad]) -> list[str]:
    rows = [
        [
            _("Shard"),
            _("Digests"),
            _("Due"),
            _("Sending"),
            _("Retrying"),
            _("Failed (24 h)"),
            _("Alert channels"),
        ]
    ]
    for s in shards:
        rows.append(
            [
                f"{s.shard}/{len(shards)}",
                str(s.digest_subscriptions),
                str(s.digests_due),
                str(s.sending),
                str(s.pending),
                str(s.failed_today),
                str(s.alert_subscriptions),
            ]
        )
    return _table(rows)


DiscordChildren = list[tuple[int, str, ChildState | None]]  # number, its shards, its state


def render_status(status: Status, discord: DiscordChildren | None = None) -> str:
    parts = [
        feeds_section(status.feeds),
        [
            *run_section(status.last_run, status.unscored),
            translation_line(status.translation),
            *child_section(status.child),
            *(line for n, ids, child in discord or [] for line in child_section(child, (n, ids))),
        ],
        shards_section(status.shards),
    ]
    return "\n\n".join("\n".join(p) for p in parts)


async def discord_children(db: Database, settings: Settings) -> DiscordChildren:
    """The extra Discord processes DISCORD_PROCESSES has `run` supervise, with their state."""
    plan = process_plan(settings)
    return [
        (n, ",".join(map(str, plan[n].ids)), await child_state(db, discord_process_key(n)))
        for n in range(1, len(plan))
    ]


async def _run(settings: Settings, shard_count: int) -> int:
    async with open_services(settings) as services:
        status = await gather_status(services.db, shard_count=shard_count, now=datetime.now(UTC))
        discord = await discord_children(services.db, settings)
    print(render_status(status, discord))
    return 0 if status.last_run is None or status.last_run.ok else 1


def handle(args: argparse.Namespace, settings: Settings) -> int:
    shard_count = args.shards or settings.shard_count or settings.discord_processes
    if shard_count < 1:
        print(_("--shards must be at least 1."))
        return 2
    with use_language(settings.default_language):
        return asyncio.run(_run(settings, shard_count))
