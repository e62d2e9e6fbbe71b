"""The Discord process's event loop: uvloop where installed, asyncio's loop otherwise."""

from __future__ import annotations

import asyncio
import importlib
import sys
from typing import Any

import pytest

from bot.discord import eventloop


async def _loop_module() -> str:
    await asyncio.sleep(0)
    return type(asyncio.get_running_loop()).__module__


def _without_uvloop(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.import_module

    def fake_import(name: str, *args: Any) -> Any:
        if name == "uvloop":
            raise ImportError("No module named 'uvloop'")  # as on Windows
        return real(name, *args)

    monkeypatch.setattr(eventloop.importlib, "import_module", fake_import)


def test_without_uvloop_auto_runs_on_asyncio(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EVENT_LOOP", raising=False)
    _without_uvloop(monkeypatch)
    assert eventloop.loop_factory() == ("asyncio", None)
    assert eventloop.run(_loop_module()).startswith("asyncio")


def test_asking_for_uvloop_without_it_fails_loudly(monkeypatch: pytest.MonkeyPatch) -> None:
    _without_uvloop(monkeypatch)
    with pytest.raises(ImportError):
        eventloop.loop_factory("uvloop")


def test_event_loop_asyncio_opts_out(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EVENT_LOOP", "asyncio")
    assert eventloop.loop_factory() == ("asyncio", None)
    assert eventloop.run(_loop_module()).startswith("asyncio")


def test_an_unknown_choice_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EVENT_LOOP", "tokio")
    with pytest.raises(ValueError, match="EVENT_LOOP"):
        eventloop.loop_factory()


@pytest.mark.skipif(sys.platform == "win32", reason="uvloop has no Windows build")
def test_auto_runs_on_uvloop_where_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("uvloop")
    monkeypatch.delenv("EVENT_LOOP", raising=False)
    name, _ = eventloop.loop_factory()
    assert name == "uvloop"
    assert eventloop.run(_loop_module()).startswith("uvloop")
