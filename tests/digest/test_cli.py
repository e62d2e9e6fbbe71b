from __future__ import annotations

import pytest

from bot.cli import main


def test_digest_command_says_plainly_when_there_is_no_news(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["digest", "--lang", "nl"]) == 0
    out = capsys.readouterr().out
    assert "Nog geen nieuws opgeslagen" in out
    assert "Cryptoverzicht van" in out  # the digest still prints, with the market backdrop
    assert "Russell 2000" in out and "geen financieel advies" in out
