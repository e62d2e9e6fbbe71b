"""Live news through the delivery engine: once per story per channel, no floods, filters,
the rate cap, tenancy, recovery after a crash, and a lost permission."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from bot.delivery import ledger
from bot.delivery.live_rounds import LiveLimits
from bot.delivery.memory import MemorySender
from bot.delivery.messages import LiveMessage
from bot.live import store
from bot.storage import Database
from tests.delivery.live_support import add_article, add_feeds, live_rows, live_subscribe, score
from tests.delivery.support import Crash, FlakySender
from tests.digest.conftest import Clock, EngineFactory

CHANNEL, OTHER = 10, 20


@pytest.fixture
async def feeds(db: Database, clock: Clock) -> None:
    await add_feeds(db, clock(), 1, 2, 3)


def live_posts(discord: MemorySender, channel: int) -> list[LiveMessage]:
    out = []
    for post in discord.posts[channel]:
        assert isinstance(post.message, LiveMessage)
        out.append(post.message)
    return out


def titles(discord: MemorySender, channel: int) -> list[str]:
    return [s.title for m in live_posts(discord, channel) if not m.more for s in m.stories]


@pytest.mark.usefixtures("feeds")
async def test_a_new_story_is_posted_once_and_a_second_outlet_adds_no_post(
    db: Database, clock: Clock, discord: MemorySender, make_engine: EngineFactory
) -> None:
    engine = make_engine()
    await add_article(db, clock(), title="Old news before subscribing")
    await live_subscribe(db, clock(), CHANNEL)
    await engine.deliver_live()
    assert discord.posts[CHANNEL] == []  # no backlog

    story, _ = await add_article(db, clock(), title="Bitcoin tops $120,000")
    report = await engine.deliver_live()
    assert report.sent == 1 and titles(discord, CHANNEL) == ["Bitcoin tops $120,000"]
    message = live_posts(discord, CHANNEL)[0]
    assert message.stories[0].sources == ("Outlet 1",) and message.stories[0].coins == ("BTC",)

    # The same story from a second outlet: the story changes, the channel gets nothing new.
    await add_article(db, clock.advance(minutes=1), feed=2, story=story, title="BTC at $120k")
    again = await engine.deliver_live()
    assert again.sent == 0 and len(discord.posts[CHANNEL]) == 1
    # A fresh engine (a restart) neither.
    assert (await make_engine().deliver_live()).sent == 0


@pytest.mark.usefixtures("feeds")
async def test_no_flood_from_backlog_stale_items_or_a_new_feeds_first_fetch(
    db: Database, clock: Clock, discord: MemorySender, make_engine: EngineFactory
) -> None:
    await live_subscribe(db, clock(), CHANNEL)
    # A new feed's first fetch is stored as backlog; catch-up finds items 7 h old.
    await add_article(db, clock(), feed=3, title="From a new feed's archive", backlog=True)
    await add_article(db, clock(), title="Catch-up after downtime", age=timedelta(hours=7))
    await add_article(db, clock(), title="Fresh", age=timedelta(minutes=1))
    await make_engine().deliver_live()
    assert titles(discord, CHANNEL) == ["Fresh"]


@pytest.mark.usefixtures("feeds")
async def test_filters_coin_language_and_min_sources(
    db: Database, clock: Clock, discord: MemorySender, make_engine: EngineFactory
) -> None:
    engine = make_engine()
    await live_subscribe(db, clock(), 1, coin="ETH")
    await live_subscribe(db, clock(), 2, language="nl")
    await live_subscribe(db, clock(), 3, min_sources=2)
    await add_article(db, clock(), title="Ether ETF approved", coins=("ETH",))
    await add_article(db, clock(), title="Bitcoin stijgt", language="nl")
    big, _ = await add_article(db, clock(), title="Exchange halts withdrawals", coins=())
    await engine.deliver_live()
    assert titles(discord, 1) == ["Ether ETF approved"]
    assert titles(discord, 2) == ["Bitcoin stijgt"]
    assert titles(discord, 3) == []  # one outlet so far

    await add_article(db, clock.advance(minutes=2), feed=2, story=big, title="Withdrawals halted")
    await engine.deliver_live()
    assert titles(discord, 3) == ["Exchange halts withdrawals"]
    assert live_posts(discord, 3)[0].stories[0].sources == ("Outlet 1", "Outlet 2")
    assert titles(discord, 1) == ["Ether ETF approved"]  # nothing new for the others


@pytest.mark.usefixtures("feeds")
async def test_rate_cap_overflows_into_one_more_stories_post(
    db: Database, clock: Clock, discord: MemorySender, make_engine: EngineFactory
) -> None:
    engine = make_engine()
    await live_subscribe(db, clock(), CHANNEL)
    for n in range(15):
        await add_article(db, clock(), title=f"Story {n}")
    await engine.deliver_live()
    posts = live_posts(discord, CHANNEL)
    assert len(posts) == LiveLimits().posts  # 9 stories and one "6 more"
    assert [m.more for m in posts].count(True) == 1
    more = next(m for m in posts if m.more)
    assert [s.title for s in more.stories] == [f"Story {n}" for n in range(9, 15)]
    [overflow] = [r for r in await live_rows(db) if r.bundle]
    assert len(overflow.bundle.split(",")) == 6 and overflow.lead_article_id is None

    # Over the cap, a new story waits for room; once the window passes it goes out alone.
    await add_article(db, clock.advance(minutes=1), title="Late story")
    await engine.deliver_live()
    assert len(discord.posts[CHANNEL]) == 10
    clock.advance(minutes=10)
    await engine.deliver_live()
    assert titles(discord, CHANNEL)[-1] == "Late story"
    assert len(discord.posts[CHANNEL]) == 11  # the folded ones were never posted again


@pytest.mark.usefixtures("feeds")
async def test_a_servers_own_feed_never_reaches_another_server(
    db: Database, clock: Clock, discord: MemorySender, make_engine: EngineFactory
) -> None:
    engine = make_engine()
    engine_sets = make_engine.feed_sets  # type: ignore[attr-defined]
    engine_sets.update({1: (1, 2, 3), 2: (1, 2)})  # feed 3 is server 1's own
    await live_subscribe(db, clock(), CHANNEL, guild=1)
    await live_subscribe(db, clock(), OTHER, guild=2)
    await add_article(db, clock(), feed=3, title="Only for server one", coins=("HBAR",))
    await add_article(db, clock(), feed=1, title="For everyone")
    await engine.deliver_live()
    assert sorted(titles(discord, CHANNEL)) == ["For everyone", "Only for server one"]
    assert titles(discord, OTHER) == ["For everyone"]


@pytest.mark.usefixtures("feeds")
async def test_the_store_is_scanned_only_when_it_changed(
    db: Database,
    clock: Clock,
    discord: MemorySender,
    make_engine: EngineFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from bot.delivery import live_rounds

    scans: list[object] = []  # each scan's after_id: None for a full one
    real = live_rounds.read_window

    async def counted(*args: object, **kwargs: object) -> object:
        scans.append(kwargs["after_id"])
        return await real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(live_rounds, "read_window", counted)
    engine = make_engine()
    await live_subscribe(db, clock(), CHANNEL)
    await engine.deliver_live()
    await engine.deliver_live()
    assert len(scans) == 1
    await add_article(db, clock(), title="News")
    await engine.deliver_live()
    await engine.deliver_live()
    assert len(scans) == 2 and titles(discord, CHANNEL) == ["News"]
    assert scans[0] is None and scans[1] is not None  # new articles: only what they touched
    await live_subscribe(db, clock(), OTHER)
    await engine.deliver_live()
    assert len(scans) == 3 and scans[2] is None  # a new subscription: everything


@pytest.mark.usefixtures("feeds")
@pytest.mark.parametrize("crash_after_post", [True, False])
async def test_a_restart_mid_delivery_neither_doubles_nor_loses_a_story(
    db: Database,
    fresh_db: Callable[[], Database],
    clock: Clock,
    discord: MemorySender,
    make_engine: EngineFactory,
    crash_after_post: bool,
) -> None:
    await live_subscribe(db, clock(), CHANNEL)
    await add_article(db, clock(), title="Posted across a crash")
    flaky = FlakySender(discord)
    if crash_after_post:
        flaky.crash_after_post = True  # posted, never recorded
    else:
        flaky.before_post.append(Crash())  # claimed, never posted
    with pytest.raises(Crash):
        await make_engine(sender=flaky).deliver_live()
    assert [r.state for r in await live_rows(db)] == [ledger.SENDING]

    clock.advance(minutes=3)  # the lease ran out; a new process takes over
    report = await make_engine(database=fresh_db()).deliver_live()
    assert titles(discord, CHANNEL) == ["Posted across a crash"]
    assert (report.recovered, report.sent) == ((1, 0) if crash_after_post else (0, 1))
    assert [r.state for r in await live_rows(db)] == [ledger.SENT]


@pytest.mark.usefixtures("feeds")
async def test_a_lost_permission_stops_the_subscription_with_the_reason(
    db: Database, clock: Clock, discord: MemorySender, make_engine: EngineFactory
) -> None:
    await live_subscribe(db, clock(), CHANNEL)
    discord.missing[CHANNEL] = "embed_links"
    await add_article(db, clock(), title="Cannot be posted")
    report = await make_engine().deliver_live()
    assert report.disabled and discord.posts[CHANNEL] == []
    [listing] = await store.list_subscriptions(db, 1)
    assert not listing.subscription.enabled
    assert listing.reason is not None and "Embed Links" in listing.reason
    # Nothing more is tried for it.
    await add_article(db, clock(), title="Later")
    assert (await make_engine().deliver_live()).failed == 0


@pytest.mark.usefixtures("feeds")
async def test_removed_from_the_server_pauses_then_resumes_without_catching_up(
    db: Database, clock: Clock, discord: MemorySender, make_engine: EngineFactory
) -> None:
    from bot.digest.store import GUILD_REMOVED
    from bot.guilds.membership import mark_present, mark_removed

    engine = make_engine()
    await live_subscribe(db, clock(), CHANNEL)
    assert await mark_removed(db, 1, now=clock())
    [listing] = await store.list_subscriptions(db, 1)
    assert listing.subscription.disabled_reason == GUILD_REMOVED
    await add_article(db, clock(), title="While the bot was away")
    await engine.deliver_live()
    assert discord.posts[CHANNEL] == []

    assert await mark_present(db, 1, now=clock.advance(minutes=5))
    await engine.deliver_live()
    assert discord.posts[CHANNEL] == []  # what came in meanwhile is not caught up on
    await add_article(db, clock(), title="After the return")
    await engine.deliver_live()
    assert titles(discord, CHANNEL) == ["After the return"]


@pytest.mark.usefixtures("feeds")
async def test_a_story_waits_briefly_for_its_sentiment_badge(
    db: Database, clock: Clock, discord: MemorySender, make_engine: EngineFactory
) -> None:
    engine = make_engine()
    await live_subscribe(db, clock(), CHANNEL)
    _, scored_later = await add_article(db, clock(), title="Scored a moment later", label=None)
    await add_article(db, clock(), title="Never scored", label=None)
    await engine.deliver_live()
    assert discord.posts[CHANNEL] == []  # both wait for their scores

    await score(db, scored_later, "bearish", clock.advance(seconds=5))
    await engine.deliver_live()
    [post] = live_posts(discord, CHANNEL)
    assert post.stories[0].title == "Scored a moment later" and post.stories[0].label == "bearish"

    clock.advance(seconds=45)  # the wait is over: posted without a badge
    await engine.deliver_live()
    assert titles(discord, CHANNEL) == ["Scored a moment later", "Never scored"]
    assert live_posts(discord, CHANNEL)[1].stories[0].label is None
