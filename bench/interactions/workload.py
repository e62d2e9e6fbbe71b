"""The workload: feed sites in a child process (generations of N feeds x M entries made
from the bundled sample items, new links in each), two Dutch and two English servers, and
the interaction mix."""

from __future__ import annotations

import contextlib
import multiprocessing
import threading
from dataclasses import dataclass, field
from typing import Any

from bench import feedserver
from tests.fakediscord import Channel, FakeDiscord, Guild, Member, inject
from tests.fakediscord.records import InteractionHandle, clock
from tests.harness import ALICE, OWNER, rss

# -- feeds -------------------------------------------------------------------------------------

Item = tuple[str, str, str]  # (headline, link, body) as tests.harness.rss takes them


def item_pools() -> dict[str, list[Item]]:
    """Every item of the bundled sample feeds, by language (real headlines and summaries)."""
    pools: dict[str, list[Item]] = {"en": [], "nl": []}
    for lang, e in feedserver.sample_entries():
        pools[lang].append((e.title, feedserver.bare_link(e.link), e.summary))
    return pools


def feed_documents(
    n_feeds: int, n_entries: int, generation: int, pools: dict[str, list[Item]]
) -> dict[str, bytes]:
    """Each feed's RSS; a new generation re-publishes the items under new links."""
    docs = {}
    for n in range(n_feeds):
        lang = feedserver.feed_language(n)
        pool = pools[lang]
        items = [
            (title, f"{link}-f{n}-g{generation}", body)
            for title, link, body in (
                pool[(n * 7 + i + generation * 13) % len(pool)] for i in range(n_entries)
            )
        ]
        docs[feedserver.feed_path(n)] = rss(f"Bench feed {n}", items, lang)
    return docs


def serve_feeds(n_feeds: int, n_entries: int, current: Any, ports: Any) -> None:
    """Child process: threaded HTTP servers on 127.0.0.1-10 serving generation `current`
    (built on first request: every pass of a long run can get new links)."""
    pools = item_pools()
    built: dict[int, dict[str, bytes]] = {}
    lock = threading.Lock()

    def document(path: str) -> bytes | None:
        generation = current.value
        with lock:
            if generation not in built:
                built.clear()
                built[generation] = feed_documents(n_feeds, n_entries, generation, pools)
            return built[generation].get(path)

    servers = feedserver.serve_hosts(document)
    ports.put(feedserver.ports_of(servers))
    threading.Event().wait()  # until the parent terminates us


class FeedServers:
    """The feed sites, in a child process: like remote sites, their work is not the bot's
    (in threads of this process they would compete with the bot for the GIL)."""

    def __init__(self, n_feeds: int, n_entries: int) -> None:
        ctx = multiprocessing.get_context("spawn")
        self.current = ctx.Value("i", 0)
        ports = ctx.Queue()
        self.process = ctx.Process(
            target=serve_feeds, args=(n_feeds, n_entries, self.current, ports), daemon=True
        )
        self.process.start()
        self.ports: list[int] = ports.get(timeout=60)

    def serve_generation(self, n: int) -> None:
        self.current.value = n

    def next_generation(self) -> int:
        """New links in every feed: the next pass has real work (parse, store, score)."""
        self.current.value += 1
        return int(self.current.value)

    def url(self, n: int) -> str:
        return feedserver.feed_url(n, self.ports)

    def close(self) -> None:
        self.process.terminate()
        self.process.join(5)


# -- Discord world and the mix -----------------------------------------------------------------


def world() -> list[Guild]:
    """Two Dutch and two English servers."""
    guilds = []
    for i, locale in enumerate(("nl", "en-US", "nl", "en-GB")):
        guilds.append(
            Guild(
                id=(i + 1) << 22 | 1,
                name=f"Crypto {locale} {i}",
                owner_id=OWNER.id,
                preferred_locale=locale,
                channels=[Channel(2001 + i, "general")],
                members=[Member(OWNER), Member(ALICE)],
            )
        )
    return guilds


@dataclass(frozen=True)
class Ask:
    name: str
    options: dict[str, Any] = field(default_factory=dict)
    focused: str | None = None  # set: an autocomplete request

    @property
    def label(self) -> str:
        return f"{self.name} (autocomplete)" if self.focused else self.name


# One cycle of 20: the weights are a guess at real use (news most, the chart rarely).
MIX = [
    Ask("news"),
    Ask("news", {"coin": "BTC"}),
    Ask("news", {"coin": "ETH", "hours": 48}),
    Ask("news", {"language": "nl"}),
    Ask("news", {"coin": "bt"}, focused="coin"),
    Ask("news"),
    Ask("sentiment"),
    Ask("sentiment", {"coin": "BTC", "period": "7d"}),
    Ask("sentiment", {"coin": "e"}, focused="coin"),
    Ask("about"),
    Ask("language show"),
    Ask("feeds list"),
    Ask("signal"),
    Ask("news", {"coin": "SOL"}),
    Ask("sentiment", {"period": "30d"}),
    Ask("news", {"coin": "so"}, focused="coin"),
    Ask("news", {"hours": 6}),
    Ask("about"),
    Ask("language show"),
    Ask("news", {"coin": "XRP"}),
]


def prepare(fake: FakeDiscord, guild: Guild, ask: Ask) -> inject.Prepared:
    """The interaction built and encoded, not sent (its clock starts when it is sent)."""
    channel = guild.channels[0].id
    return inject.prepare_command(
        fake, guild.id, channel, ALICE, ask.name, ask.options, ask.focused,
        locale=guild.preferred_locale,
    )  # fmt: skip


def answered(handle: InteractionHandle, ask: Ask) -> bool:
    """The user has seen the final reply: the chart after a defer, an autocomplete's choices."""
    if handle.response is None:
        return False
    if ask.focused:
        return True
    return handle.original is not None and not handle.original.loading


async def settle(
    fake: FakeDiscord, sent: list[tuple[InteractionHandle, Ask]], within: float
) -> None:
    """Until every interaction is answered or has missed its deadline, or `within` seconds
    (a final reply that never came: its first response was counted already). One waiter for
    all: a waiter per interaction is woken by every request the fake records (n x n wake-ups).
    Deadlines are looked at every 0.1 s; answers, at each change the fake records."""
    pending = list(sent)

    def check() -> bool | None:
        pending[:] = [(h, a) for h, a in pending if not answered(h, a)]
        return True if not pending else None

    end = clock() + within
    while clock() < end:
        pending[:] = [(h, a) for h, a in pending if h.response is not None or not h.missed_deadline]
        if check():
            return
        with contextlib.suppress(TimeoutError):
            await fake.wait_for(check, timeout=0.1, what="the load to settle")
