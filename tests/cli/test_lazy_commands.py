"""`python -m bot <command>` imports only that command's module: the long-lived `run` and
`pipeline` processes do not hold every other command's imports (matplotlib, ...)."""

from __future__ import annotations

import subprocess
import sys

from bot.cli import COMMAND_MODULES, build_parser

_PROBE = """
import sys
from bot.cli import build_parser
build_parser({argv!r}).parse_args({argv!r})
loaded = sorted(m for m in sys.modules if m.startswith("bot.cli.") and m.count(".") == 2)
print(" ".join(loaded), "matplotlib" in sys.modules)
"""


def _loaded(argv: list[str]) -> tuple[set[str], bool]:
    out = subprocess.run(
        [sys.executable, "-c", _PROBE.format(argv=argv)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return set(out[:-1]), out[-1] == "True"


def test_the_pipeline_child_imports_only_its_command() -> None:
    loaded, matplotlib = _loaded(["--log-level", "debug", "pipeline", "--once"])
    assert loaded == {"bot.cli.pipeline"}
    assert not matplotlib


def test_run_imports_only_its_command() -> None:
    loaded, matplotlib = _loaded(["run"])
    assert "bot.cli.run" in loaded
    assert not {f"bot.cli.{name}" for name in COMMAND_MODULES if name != "run"} & loaded
    assert not matplotlib


def test_help_and_unknown_commands_still_list_every_command() -> None:
    for argv in ([], ["--help"], ["nosuch"]):
        text = build_parser(argv).format_help()
        for name in COMMAND_MODULES:
            assert name in text
