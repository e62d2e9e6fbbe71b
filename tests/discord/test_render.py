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


def test_render_memo_builds_once_per_answer_and_key() -> None:
    import discord

    from bot.discord.render import RenderMemo

    memo = RenderMemo(size=2)
    builds = 0

    def build() -> discord.Embed:
        nonlocal builds
        builds += 1
        return discord.Embed(title=str(builds))

    first, second = object(), object()
    assert memo.embed(first, "nl", build) is memo.embed(first, "nl", build)
    assert builds == 1
    memo.embed(first, "en", build)  # another language: another rendering
    memo.embed(second, "nl", build)  # new data (a new answer object): rendered again
    assert builds == 3
    memo.embed(first, "nl", build)  # evicted (size 2): rendered again
    assert builds == 4
