from __future__ import annotations

from bot.discord.render import (
    DESCRIPTION_MAX,
    EMBED_TOTAL_MAX,
    FIELD_VALUE_MAX,
    FIELDS_MAX,
    EmbedBuilder,
    clip,
    safe,
)


def test_clip_cuts_at_a_word_and_marks_it() -> None:
    text = "Bitcoin klimt naar nieuwe recordhoogte na goedkeuring van de ETF " * 10
    out = clip(text, 100)
    assert len(out) <= 100 and out.endswith("…")
    assert not out[:-1].endswith(" ")
    assert clip("short", 100) == "short"


def test_safe_escapes_markdown_within_the_limit() -> None:
    headline = "**Pump** _now_ @everyone " * 40
    out = safe(headline, 256)
    assert len(out) <= 256
    assert "**" not in out.replace("\\*", "")
    assert "@everyone" in out  # stays text; allowed_mentions=none keeps it from pinging


def test_builder_never_exceeds_discord_limits() -> None:
    builder = EmbedBuilder("T" * 400, "D" * 5000)
    assert len(builder.embed.description or "") <= DESCRIPTION_MAX
    added = 0
    while builder.add_field("name " * 80, "value " * 400):
        added += 1
    embed = builder.footer("footer " * 500)
    assert added <= FIELDS_MAX
    assert all(len(f.value or "") <= FIELD_VALUE_MAX for f in embed.fields)
    assert len(embed) <= EMBED_TOTAL_MAX
