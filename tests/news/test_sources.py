"""Sources: the default list's evidence, and a FEEDS_FILE feed's own User-Agent, sent through
the one guarded client and refused when it could inject a header."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.config import USER_AGENT_CHARS, ConfigError, Settings, check_user_agent, load_settings
from bot.news.feeds import DEFAULT_FEEDS, FeedSpec, load_feeds
from bot.news.fetch import Conditional, FetchStatus, HttpFetcher
from bot.news.pipeline import ingest
from bot.runtime.services import Services, open_services
from bot.utils.http.errors import HeaderRefused
from tests.news.conftest import FaultServer

NOW = datetime(2025, 12, 13, 8, tzinfo=UTC)
DOCS = Path(__file__).resolve().parents[2] / "docs" / "news.md"
BROWSERISH = "Mozilla/5.0 (X11; Linux x86_64; operator-approved) CryptoNewsBot/0.1"
INJECTIONS = [
    "Bot/1\r\nX-Injected: yes",
    "Bot/1\nHost: internal",
    "Bot/1\x00",
    "Bot/1\x07",
    "Bot/1\x7f",
    "Bot/1 \u2028 next",
    "Bot/1 é",
    " Bot/1",
    "",
    "B" * (USER_AGENT_CHARS + 1),
]


def _write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "feeds.toml"
    path.write_text(body, encoding="utf-8")
    return path


def _toml_basic(value: str) -> str:
    """`value` as a TOML basic string, control characters escaped (TOML allows \\uXXXX)."""
    out = value.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + re.sub(r"[\x00-\x1f\x7f]", lambda m: f"\\u{ord(m.group()):04x}", out) + '"'


# --- the defaults ---------------------------------------------------------------------------


def test_defaults_drop_the_refusing_and_doubtful_feeds() -> None:
    urls = {f.url for f in DEFAULT_FEEDS}
    # 403 to non-browser clients; the operator may add it back with a user_agent.
    assert not any("bitcoinmagazine.com" in u for u in urls)
    assert not any("blox.nl" in u for u in urls)  # no evidence the feed exists
    assert {f.url for f in DEFAULT_FEEDS if f.crypto_only} == {
        "https://feeds.nos.nl/nosnieuwseconomie",
        "https://www.nu.nl/rss/Economie",
    }
    # The defaults never pretend to be someone else: that is the operator's choice.
    assert all(f.user_agent is None for f in DEFAULT_FEEDS)


def test_every_default_has_its_evidence_in_the_docs() -> None:
    text = DOCS.read_text(encoding="utf-8")
    section = text.split("## Sources", 1)[1].split("\n## ", 1)[0]
    for feed in DEFAULT_FEEDS:
        rows = [line for line in section.splitlines() if f"`{feed.url}`" in line]
        assert len(rows) == 1, f"{feed.name}: no evidence row for {feed.url}"
        assert rows[0].count("|") >= 5, rows[0]  # outlet, URL, seen, answering, unverified


# --- FEEDS_FILE -----------------------------------------------------------------------------


def test_feeds_file_options(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "[[feeds]]\n"
        'name = "Bitcoin Magazine"\nurl = "https://bitcoinmagazine.com/feed"\nlanguage = "en"\n'
        f'user_agent = "{BROWSERISH}"\n'
        "[[feeds]]\n"
        'name = "NOS Economie"\nurl = "https://feeds.nos.nl/nosnieuwseconomie"\n'
        'language = "nl"\ncrypto_only = true\n',
    )
    assert load_feeds(load_settings(feeds_file=path)) == [
        FeedSpec("Bitcoin Magazine", "https://bitcoinmagazine.com/feed", "en", BROWSERISH),
        FeedSpec("NOS Economie", "https://feeds.nos.nl/nosnieuwseconomie", "nl", None, True),
    ]


@pytest.mark.parametrize("agent", INJECTIONS)
def test_feeds_file_refuses_a_user_agent_that_is_not_one_line_of_ascii(
    tmp_path: Path, agent: str
) -> None:
    path = _write(
        tmp_path,
        f'[[feeds]]\nname = "A"\nurl = "https://a.example/feed"\nlanguage = "en"\n'
        f"user_agent = {_toml_basic(agent)}\n",
    )
    with pytest.raises(ConfigError) as err:
        load_feeds(load_settings(feeds_file=path))
    assert "FEEDS_FILE" in str(err.value) and "feed #1 user_agent" in str(err.value)


@pytest.mark.parametrize(
    ("option", "problem"),
    [
        ("user_agent = 5", "user_agent must be a string"),
        ('crypto_only = "yes"', "true or false"),
        # a misspelt option is refused, not silently ignored (the feed would take everything)
        ("crypto-only = true", "feed #1 has unknown key crypto-only"),
    ],
)
def test_feeds_file_option_types(tmp_path: Path, option: str, problem: str) -> None:
    path = _write(
        tmp_path,
        f'[[feeds]]\nname = "A"\nurl = "https://a.example/feed"\nlanguage = "en"\n{option}\n',
    )
    with pytest.raises(ConfigError, match=problem):
        load_feeds(load_settings(feeds_file=path))


@pytest.mark.parametrize("agent", INJECTIONS[:4])
@pytest.mark.parametrize("setting", ["http_user_agent", "market_browser_user_agent"])
def test_the_process_user_agents_are_checked_like_a_feeds(setting: str, agent: str) -> None:
    with pytest.raises(ConfigError, match=setting.upper()):
        load_settings(**{setting: agent})


def test_the_limit_is_inclusive() -> None:
    assert check_user_agent("B" * USER_AGENT_CHARS) == "B" * USER_AGENT_CHARS


# --- on the wire ----------------------------------------------------------------------------


@pytest.fixture
def loopback_settings(tmp_path: Path) -> Settings:
    return load_settings(data_dir=tmp_path / "data", http_timeout=2.0, feeds_allow_private=True)


@pytest.fixture
async def services(loopback_settings: Settings) -> AsyncIterator[Services]:
    async with open_services(loopback_settings) as svc:
        yield svc


async def test_a_feeds_own_user_agent_goes_on_every_hop_and_only_for_that_feed(
    tmp_path: Path, fault_server: FaultServer
) -> None:
    """Through the configured list (FEEDS_FILE) and the pass's own fetcher: the feed with a
    user_agent sends it on the redirect and on the feed; the other keeps HTTP_USER_AGENT."""
    target = "/feed/theblock_en_20251212.rss"
    path = _write(
        tmp_path,
        f'[[feeds]]\nname = "Refuses bots"\nurl = "{fault_server.url("/redirect?to=" + target)}"\n'
        f'language = "en"\nuser_agent = "{BROWSERISH}"\n'
        f'[[feeds]]\nname = "Plain"\nurl = "{fault_server.url("/feed/newsbit_nl_sample.rss")}"\n'
        'language = "nl"\n',
    )
    settings = load_settings(
        data_dir=tmp_path / "data", http_timeout=2.0, feeds_allow_private=True, feeds_file=path
    )
    async with open_services(settings) as svc:
        report = await ingest(svc, now=NOW)
    assert {(r.feed.name, r.status, r.new) for r in report.feeds} == {
        ("Refuses bots", "ok", 19),
        ("Plain", "ok", 5),
    }
    assert fault_server.headers["/redirect"]["User-Agent"] == BROWSERISH
    assert fault_server.headers[target]["User-Agent"] == BROWSERISH
    plain = fault_server.headers["/feed/newsbit_nl_sample.rss"]["User-Agent"]
    assert plain == settings.http_user_agent != BROWSERISH


@pytest.mark.parametrize("agent", INJECTIONS[:5])
async def test_the_client_refuses_an_injected_header_before_connecting(
    services: Services, fault_server: FaultServer, agent: str
) -> None:
    """The check sits in the guarded client itself, so no caller can skip it."""
    url = fault_server.url("/feed/theblock_en_20251212.rss")
    with pytest.raises(HeaderRefused):
        async with services.feeds_http.open(url, user_agent=agent):
            pass
    fetcher = HttpFetcher(
        services.feeds_http, max_bytes=200_000, per_host=2, timeout=2.0, user_agents={url: agent}
    )
    result = await fetcher(url, Conditional())
    assert (result.status, result.error) == (FetchStatus.FAILING, "bad_header")
    assert fault_server.hits == {}  # nothing reached the server


async def test_a_feed_with_a_user_agent_is_still_guarded(
    tmp_path: Path, fault_server: FaultServer
) -> None:
    """A user_agent changes a header, never the address policy: loopback stays refused."""
    strict = load_settings(data_dir=tmp_path / "data", http_timeout=1.0)
    spec = FeedSpec("loop", fault_server.url("/feed/theblock_en_20251212.rss"), "en", BROWSERISH)
    async with open_services(strict) as svc:
        report = await ingest(svc, feeds=[spec], now=NOW)
    assert [(r.status, r.error) for r in report.feeds] == [("failing", "private_address")]
    assert fault_server.hits == {}
