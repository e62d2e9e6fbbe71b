"""A server's translation switch reaches its digest: composed per (feed set, language, switch)."""

from __future__ import annotations

from bot.delivery.memory import MemorySender
from bot.delivery.messages import DigestMessage
from bot.storage import Database
from tests.delivery.support import DUE, subscribe
from tests.digest.conftest import DEFAULT_FEEDS, Clock, Composer, EngineFactory


async def test_servers_that_switched_translation_off_get_their_own_digest(
    db: Database, clock: Clock, discord: MemorySender, make_engine: EngineFactory
) -> None:
    for guild in (100, 101, 102):
        await subscribe(db, clock, channel=guild, guild=guild)
    composer = Composer()
    engine = make_engine(composer=composer)
    make_engine.translate_off.add(102)  # type: ignore[attr-defined]
    clock.now = DUE
    assert (await engine.run_due(DUE)).sent == 3
    assert composer.switches == {(DEFAULT_FEEDS, "en", True): 1, (DEFAULT_FEEDS, "en", False): 1}
    assert all(isinstance(discord.posts[g][0].message, DigestMessage) for g in (100, 101, 102))
