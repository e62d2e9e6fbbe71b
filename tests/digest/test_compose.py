from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from bot.compose.digest import coin_mentions, coin_moods, compose_digest, lean, pick_stories
from bot.digest.model import Digest, Macro
from bot.digest.text import render_digest_text
from bot.news.query import StoryView
from bot.news.tables import article_coins, articles, feeds, stories
from bot.sentiment.tables import article_sentiment
from bot.storage import Database

NOW = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)
_ids = itertools.count(1)


def view(
    title: str, sources: list[str], lang: str = "en", story_id: int | None = None, summary: str = ""
) -> StoryView:
    sid = story_id if story_id is not None else next(_ids) + 1000
    return StoryView(
        sid, title, summary, f"https://x/{sid}", sources, [lang], [], NOW, [next(_ids) + 100_000]
    )


def test_pick_stories_puts_the_readers_language_first_and_keeps_major_english_news() -> None:
    dutch = [
        view(f"Nederlands verhaal nummer {n} over {w}", ["NL"], "nl")
        for n, w in enumerate(["ether", "solana", "ripple", "cardano", "tron", "doge"])
    ]
    english = [
        view("Fed decision moves bitcoin markets", ["A", "B", "C"]),
        view("SEC approves spot solana exchange fund", ["A", "B"]),
        view("Minor exchange lists token", ["A"]),
    ]
    picked = pick_stories(dutch, english, limit=5)
    assert [s.title for s in picked[:3]] == [s.title for s in dutch[:3]]
    assert {english[0].title, english[1].title} <= {s.title for s in picked}
    assert len(picked) == 5
    # Without a local list (an English digest): simply the English ranking.
    assert [s.title for s in pick_stories([], english)] == [s.title for s in english]


def test_pick_stories_merges_the_same_story_across_outlets_and_languages() -> None:
    nl = view(
        "Tether doet bod op Juventus",
        ["Newsbit"],
        "nl",
        summary="Tether wil voetbalclub Juventus kopen voor 1 miljard euro",
    )
    nl_twin = view(
        "Tether wil voetbalclub Juventus overnemen",
        ["Crypto Insiders"],
        "nl",
        summary="Tether heeft een bod gedaan op voetbalclub Juventus, 1 miljard euro",
    )
    en_same_cluster = view(
        "Tether bids for Juventus", ["CoinDesk", "The Block"], "en", story_id=nl.story_id
    )
    other = view(
        "Solo miner finds a block",
        ["Decrypt", "Cointelegraph"],
        "en",
        summary="Lucky miner wins reward",
    )
    picked = pick_stories([nl, nl_twin], [en_same_cluster, other])
    assert [s.title for s in picked] == [nl.title, other.title]
    assert picked[0].sources == ["Newsbit", "Crypto Insiders", "CoinDesk", "The Block"]
    assert len(picked[0].article_ids) == 3


def test_coin_moods_rank_by_mentions_and_average_scored_articles() -> None:
    mentions = [(1, "BTC"), (2, "BTC"), (3, "BTC"), (2, "ETH"), (4, "ETH"), (5, "SOL"), (1, "BTC")]
    scores = {1: 0.5, 2: 0.3, 4: -0.6}
    moods = coin_moods(mentions, scores, limit=2)
    assert [(m.symbol, m.mentions) for m in moods] == [("BTC", 3), ("ETH", 2)]
    assert moods[0].score is not None and abs(moods[0].score - 0.4) < 1e-9
    assert moods[0].label == "bullish" and moods[1].label == "bearish"
    assert lean(None) is None and lean(0.05) == "neutral"


async def seed(db: Database) -> dict[str, int]:
    """Three outlets' stories of the last two days, scored; returns feed name -> id."""
    async with db.begin() as conn:
        feed_ids = {}
        for name, lang in (("Newsbit", "nl"), ("CoinDesk", "en"), ("Decrypt", "en")):
            result = await conn.execute(
                sa.insert(feeds).values(
                    url=f"https://{name}.example/rss", name=name, language=lang, created_at=NOW
                )
            )
            feed_ids[name] = result.inserted_primary_key[0]
        story_rows = [
            ("Bitcoin koers stijgt boven 100.000 dollar", "nl", [("Newsbit", 2, ["BTC"], 0.6)]),
            (
                "ETF inflows lift ether",
                "en",
                [("CoinDesk", 3, ["ETH", "BTC"], 0.4), ("Decrypt", 4, ["ETH"], 0.2)],
            ),
            ("Exchange hack drains wallets", "en", [("Decrypt", 5, ["SOL"], -0.8)]),
            ("Old news from two days ago", "en", [("CoinDesk", 40, ["DOGE"], -0.2)]),
        ]
        n = 0
        for title, lang, items in story_rows:
            sid = (
                await conn.execute(
                    sa.insert(stories).values(
                        title=title,
                        language=lang,
                        signature="x",
                        first_seen_at=NOW,
                        last_seen_at=NOW,
                    )
                )
            ).inserted_primary_key[0]
            for source, hours_ago, coins, score in items:
                n += 1
                when = NOW - timedelta(hours=hours_ago)
                aid = (
                    await conn.execute(
                        sa.insert(articles).values(
                            feed_id=feed_ids[source],
                            story_id=sid,
                            guid=str(n),
                            link=f"https://{source}/{n}",
                            title=title,
                            summary=f"{title}: summary",
                            language=lang,
                            source=source,
                            published_at=when,
                            fetched_at=when,
                        )
                    )
                ).inserted_primary_key[0]
                for coin in coins:
                    await conn.execute(sa.insert(article_coins).values(article_id=aid, coin=coin))
                label = "bullish" if score > 0.1 else "bearish" if score < -0.1 else "neutral"
                await conn.execute(
                    sa.insert(article_sentiment).values(
                        article_id=aid,
                        backend="lexicon",
                        model="lexicon-v1",
                        label=label,
                        score=score,
                        confidence=0.7,
                        scored_at=when,
                    )
                )
    return feed_ids


PHISH = "@everyone Claim your free ETH airdrop at wallet-verify.example"


async def seed_hostile(db: Database, story_of: str) -> list[int]:
    """One server's own feeds: three outlets carrying one phishing headline (more sources than
    any real story, very bullish, about a coin nobody else names) and a rewrite of a real
    story's headline published before the real one. Returns the hostile feeds' ids."""
    ids = []
    async with db.begin() as conn:
        real_story = (
            await conn.execute(sa.select(stories.c.id).where(stories.c.title == story_of))
        ).scalar_one()
        phish_story = (
            await conn.execute(
                sa.insert(stories).values(
                    title=PHISH, language="en", signature="p", first_seen_at=NOW, last_seen_at=NOW
                )
            )
        ).inserted_primary_key[0]
        for n in range(3):
            fid = (
                await conn.execute(
                    sa.insert(feeds).values(
                        url=f"https://phish{n}.example/rss",
                        name=f"Phish {n}",
                        language="en",
                        is_default=False,
                        created_at=NOW,
                    )
                )
            ).inserted_primary_key[0]
            ids.append(fid)
            items = [(phish_story, PHISH, 1)]
            if n == 0:  # the same story as a real one, reported "first", under its own title
                items.append((real_story, f"{story_of}: claim yours at wallet-verify.example", 9))
            for k, (sid, title, hours_ago) in enumerate(items):
                when = NOW - timedelta(hours=hours_ago)
                aid = (
                    await conn.execute(
                        sa.insert(articles).values(
                            feed_id=fid,
                            story_id=sid,
                            guid=f"p{n}-{k}",
                            link=f"https://wallet-verify.example/{n}/{k}",
                            title=title,
                            summary=title,
                            language="en",
                            source=f"Phish {n}",
                            published_at=when,
                            fetched_at=when,
                        )
                    )
                ).inserted_primary_key[0]
                await conn.execute(sa.insert(article_coins).values(article_id=aid, coin="PEPE"))
                await conn.execute(
                    sa.insert(article_sentiment).values(
                        article_id=aid,
                        backend="lexicon",
                        model="lexicon-v1",
                        label="bullish",
                        score=0.9,
                        confidence=0.9,
                        scored_at=when,
                    )
                )
    return ids


MACRO = Macro(
    date(2026, 11, 20),
    2500.0,
    -0.02,
    True,
    date(2025, 9, 18),
    True,
    0.035,
    0.12,
    57.3,
    6.1,
    61.0,
    2,
    3,
    2,
)


async def test_compose_digest_from_stored_news_and_scores(db: Database) -> None:
    feed_ids = await seed(db)
    digest = await compose_digest(
        db,
        feed_ids=list(feed_ids.values()),
        language="nl",
        now=NOW,
        signal=None,
        zone=ZoneInfo("Europe/Amsterdam"),
    )
    assert digest.day == date(2026, 11, 24)
    assert digest.stories[0].title.startswith("Bitcoin koers")  # Dutch first
    assert {s.title for s in digest.stories} == {
        "Bitcoin koers stijgt boven 100.000 dollar",
        "ETF inflows lift ether",
        "Exchange hack drains wallets",
    }
    etf = next(s for s in digest.stories if s.title.startswith("ETF"))
    assert set(etf.sources) == {"CoinDesk", "Decrypt"} and etf.label == "bullish"
    # Mood over the last 24 h: four articles (the 40-hour-old one is the day before).
    assert digest.mood.articles == 4 and digest.mood.previous == -0.2
    assert digest.mood.score is not None and abs(digest.mood.score - 0.1) < 1e-9
    assert digest.mood.basis == (("lexicon", "lexicon-v1", 4),)
    assert [(c.symbol, c.mentions) for c in digest.coins][:2] == [("BTC", 2), ("ETH", 2)]
    assert "DOGE" not in {c.symbol for c in digest.coins}


async def test_compose_digest_reads_only_the_feed_set(db: Database) -> None:
    """Another server's feeds change nothing: stories, sources, coins and mood are the same
    as without them; the server that added them sees them."""
    ours = list((await seed(db)).values())
    clean = await compose_digest(db, feed_ids=ours, language="en", now=NOW, signal=None)
    theirs = await seed_hostile(db, story_of="ETF inflows lift ether")

    digest = await compose_digest(db, feed_ids=ours, language="en", now=NOW, signal=None)
    assert digest == clean
    shown = render_digest_text(digest)
    assert "wallet-verify" not in shown and "@everyone" not in shown and "Phish" not in shown
    etf = next(s for s in digest.stories if s.title.startswith("ETF"))
    assert etf.title == "ETF inflows lift ether" and set(etf.sources) == {"CoinDesk", "Decrypt"}
    assert "PEPE" not in {c.symbol for c in digest.coins}
    assert digest.mood.articles == 4  # the day's four articles, none of the phishing ones

    hostile = await compose_digest(
        db, feed_ids=[*ours, *theirs], language="en", now=NOW, signal=None
    )
    assert hostile.stories[0].title == PHISH  # three outlets: it would top every digest
    assert hostile.coins[0].symbol == "PEPE"
    assert hostile.mood.articles == 8

    nothing = await compose_digest(db, feed_ids=[], language="nl", now=NOW, signal=None)
    assert nothing.is_empty and nothing.coins == () and nothing.mood.articles == 0


async def test_coin_mentions_of_the_feed_set_only(db: Database) -> None:
    ours = list((await seed(db)).values())
    theirs = await seed_hostile(db, story_of="ETF inflows lift ether")
    mine = {coin for _, coin in await coin_mentions(db, now=NOW, feed_ids=ours)}
    assert mine == {"BTC", "ETH", "SOL"}
    assert {coin for _, coin in await coin_mentions(db, now=NOW, feed_ids=theirs)} == {"PEPE"}


def test_text_rendering_follows_the_digests_language() -> None:
    from bot.digest.model import Mood, StoryItem

    story = StoryItem(
        "Headline", "One line.", "https://x/1", ("CoinDesk",), ("en",), ("BTC",), 0.3, "bullish"
    )
    mood = Mood(0.2, 0.1, 12, "bullish", (("lexicon", "lexicon-v1", 12),))
    en = Digest("en", date(2026, 11, 24), NOW, mood, (story,), (), MACRO)
    nl = Digest("nl", date(2026, 11, 24), NOW, mood, (story,), (), MACRO)
    english, dutch = render_digest_text(en), render_digest_text(nl)
    assert "Tuesday, November 24, 2026" in english
    assert "dinsdag 24 november 2026" in dutch
    assert "2,500.00" in english and "2.500,00" in dutch
    assert "57.3%" in english and "57,3%" in dutch
    assert "Headline" in dutch and "https://x/1" in dutch
    assert english.splitlines()[-1] != dutch.splitlines()[-1]  # the disclaimer, translated
    empty = Digest("en", date(2026, 11, 24), NOW, Mood(None, None, 0, None), (), (), None)
    assert empty.is_empty and "No stories" in render_digest_text(empty)
