from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import ConfigError, load_settings


def test_defaults_are_offline_friendly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)  # set when the suite runs on PostgreSQL
    settings = load_settings(data_dir=tmp_path)
    assert settings.resolved_database_url == f"sqlite+aiosqlite:///{tmp_path / 'cryptobot.db'}"
    assert settings.default_language == "en"
    assert settings.default_timezone == "Europe/Amsterdam"
    assert settings.feed_max_entries == 200


@pytest.mark.parametrize(
    ("env", "value", "named"),
    [
        ("DEFAULT_TIMEZONE", "Mars/Olympus", "DEFAULT_TIMEZONE"),
        ("FETCH_INTERVAL", "5", "FETCH_INTERVAL"),
        ("FEED_MAX_ENTRIES", "5", "FEED_MAX_ENTRIES"),
        ("FEED_MAX_ENTRIES", "5000", "FEED_MAX_ENTRIES"),
        ("DEFAULT_LANGUAGE", "de", "DEFAULT_LANGUAGE"),
        ("LOG_LEVEL", "loud", "LOG_LEVEL"),
    ],
)
def test_invalid_setting_names_itself(
    monkeypatch: pytest.MonkeyPatch, env: str, value: str, named: str
) -> None:
    monkeypatch.setenv(env, value)
    with pytest.raises(ConfigError, match=named):
        load_settings()


def test_env_file_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".env").write_text("DEFAULT_LANGUAGE=nl\nDISCORD_TOKEN=abc\n")
    monkeypatch.chdir(tmp_path)
    settings = load_settings()
    assert settings.default_language == "nl"
    assert settings.require_token() == "abc"
    assert "abc" not in repr(settings)  # the token is a SecretStr


def test_run_without_token_exits_with_one_line(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "DATA_DIR": str(tmp_path)},
        timeout=120,
        check=False,
    )
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "DISCORD_TOKEN" in lines[0] and "python -m bot demo" in lines[0]
