"""The layout rules a newcomer can rely on (import-linter checks the layering in `make lint`)."""

from __future__ import annotations

import ast
from pathlib import Path

from bot.discord.client import EXTENSIONS

ROOT = Path(__file__).resolve().parent.parent
MAX_LINES = 400
# Modules allowed past MAX_LINES, each with its reason.
LONG_MODULES: dict[str, str] = {
    # Self-tests of the fake Discord server, one section per endpoint it mimics.
    "tests/fakediscord/test_fake.py": "the fake server's own tests, one per mimicked endpoint",
}


def _python_files() -> list[Path]:
    return [
        p
        for folder in ("bot", "cogs", "bench", "tests")
        for p in sorted((ROOT / folder).rglob("*.py"))
    ]


def test_every_cog_module_is_loaded_as_an_extension() -> None:
    cogs = {
        f"cogs.{p.stem}"
        for p in (ROOT / "cogs").glob("*.py")
        if not p.stem.startswith("_")  # _common is shared glue, not a cog
    }
    assert cogs == set(EXTENSIONS)


def test_every_cog_module_has_a_setup() -> None:
    for name in EXTENSIONS:
        tree = ast.parse((ROOT / (name.replace(".", "/") + ".py")).read_text())
        setups = [n for n in tree.body if isinstance(n, ast.AsyncFunctionDef) and n.name == "setup"]
        assert setups, f"{name} has no async setup(bot)"


def test_no_module_is_over_the_line_limit() -> None:
    too_long = {}
    for path in _python_files():
        rel = path.relative_to(ROOT).as_posix()
        lines = len(path.read_text().splitlines())
        if lines > MAX_LINES and rel not in LONG_MODULES:
            too_long[rel] = lines
    assert not too_long, f"split these modules (or list them with a reason): {too_long}"


def test_the_long_module_list_names_only_long_modules() -> None:
    for rel in LONG_MODULES:
        path = ROOT / rel
        assert path.exists(), rel
        assert len(path.read_text().splitlines()) > MAX_LINES, f"{rel} is short now: unlist it"


def test_no_module_edits_sys_path() -> None:
    """bench and tests run as packages (`python -m bench.ingest`), never by path tricks."""
    edits = ("sys.path." + "insert", "sys.path." + "append")  # split: this file is scanned too
    offenders = [
        p.relative_to(ROOT).as_posix()
        for p in _python_files()
        if any(edit in p.read_text() for edit in edits)
    ]
    assert offenders == []


def test_every_executemany_goes_through_execute_many() -> None:
    """`conn.execute(statement, rows)` with rows that are not one literal dict of parameters
    is an executemany: in the bot, outside bot/storage/bulk.py, it would bring the hang back."""
    found = []
    for path in _python_files():
        if path.relative_to(ROOT).parts[0] not in ("bot", "cogs"):
            continue
        if path == ROOT / "bot" / "storage" / "bulk.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("execute", "exec_driver_sql")
            ):
                continue
            params = [*node.args[1:2], *(k.value for k in node.keywords if k.arg == "parameters")]
            if any(not isinstance(p, ast.Dict) for p in params):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert found == []
