"""DISCORD_PROCESSES: the shards split over `run`'s process and supervised Discord children;
the settings that make no sense together refused; one process syncing the commands; and
`status` naming the children. The end-to-end run is in test_discord_processes_e2e.py."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.cli.status import child_section
from bot.config import ConfigError, load_settings
from bot.i18n import use_language
from bot.runtime.supervisor import ChildState, child_environment
from bot.shards import (
    child_shard_settings,
    delivery_scope,
    process_plan,
    process_shards,
    syncs_commands,
)


@pytest.mark.parametrize(
    ("processes", "count", "plan"),
    [
        (1, None, [None]),
        (2, None, [(0,), (1,)]),
        (2, 5, [(0, 2, 4), (1, 3)]),
        (3, 3, [(0,), (1,), (2,)]),
    ],
)
def test_the_shards_are_split_disjointly_over_the_processes(
    processes: int, count: int | None, plan: list[tuple[int, ...] | None]
) -> None:
    settings = load_settings(discord_processes=processes, shard_count=count)
    shards = process_plan(settings)
    if processes == 1:
        assert len(shards) == 1 and process_shards(settings) is None  # as before: all shards
        return
    assert [s.ids for s in shards] == plan
    assert {s.count for s in shards} == {count or processes}
    every = [n for s in shards for n in s.ids]
    assert sorted(every) == list(range(count or processes))  # each shard exactly once
    assert process_shards(settings) == shards[0]  # `run`'s own process: the first part


def test_a_child_runs_its_shards_as_a_plain_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    parent = load_settings(discord_processes=2, shard_count=4, pipeline_enabled=True)
    child_part = process_plan(parent)[1]
    env = child_shard_settings(child_part)
    for name, value in (parent.environment() | env).items():
        monkeypatch.setenv(name, value)
    child = load_settings()  # what the child reads from the environment it is given
    assert child.discord_processes == 1 and not child.pipeline_enabled  # no children of its own
    assert process_shards(child) == child_part
    assert syncs_commands(parent) and not syncs_commands(child)  # shard 0's owner only
    assert delivery_scope(parent) is not None and delivery_scope(child) is not None
    monkeypatch.setenv("shard_ids", "0")  # a variable in another case is replaced, not kept
    assert "shard_ids" not in child_environment(env) and child_environment(env)["SHARD_IDS"]


def test_settings_round_trip_through_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = load_settings(
        discord_processes=2, shard_count=6, data_dir=Path("/tmp/x"), discord_token="secret"
    )
    for name, value in settings.environment().items():
        monkeypatch.setenv(name, value)
    assert load_settings() == settings


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"discord_processes": 2, "shard_count": 2, "shard_ids": "0"}, "SHARD_IDS and"),
        ({"discord_processes": 3, "shard_count": 2}, "SHARD_COUNT (2) must be at least"),
        ({"discord_processes": 0}, "DISCORD_PROCESSES"),
    ],
)
def test_settings_that_contradict_each_other_are_refused(
    values: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_settings(**values)


def test_only_the_owner_of_shard_0_syncs_by_hand_too() -> None:
    assert syncs_commands(load_settings())  # one process, all shards
    assert syncs_commands(load_settings(shard_count=4, shard_ids="0,1"))
    assert not syncs_commands(load_settings(shard_count=4, shard_ids="2,3"))


async def test_run_supervises_a_discord_child_per_other_process(tmp_path: Path) -> None:
    from bot.discord.launcher import create_bot
    from bot.runtime.services import open_services

    settings = load_settings(data_dir=tmp_path / "data", discord_processes=3, shard_count=5)
    async with open_services(settings) as services:
        jobs = set(create_bot(services)._jobs)  # never started
    assert jobs == {"data-version", "pipeline-process", "discord-process-1", "discord-process-2"}


def test_status_names_the_discord_children_in_both_languages() -> None:
    when = datetime(2026, 12, 1, 4, 0, tzinfo=UTC)
    running = ChildState("running", 4343, when, restarts=1)
    restarting = ChildState("restarting", None, when, 2, -9, when, when)
    with use_language("en"):
        lines = child_section(running, (1, "1,3"))
        assert lines[0].startswith("Discord process 1 (shards 1,3): running (pid 4343)")
        assert "Restarted 1 time" in lines[1]
        assert "exited with code -9" in child_section(restarting, (2, "2"))[0]
    with use_language("nl"):
        assert child_section(running, (1, "1,3"))[0].startswith(
            "Discordproces 1 (shards 1,3): draait (pid 4343)"
        )
