"""Typed settings from the environment and `.env` (pydantic-settings).

Every setting is documented in the README table and in `.env.example`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_DATA_DIR = Path("data")

# A User-Agent (HTTP_USER_AGENT, or a feed's own from FEEDS_FILE) goes on the wire as is: one
# line of printable ASCII, or a newline would start a header (or a request) of its own.
USER_AGENT_CHARS = 200
_VISIBLE_ASCII = re.compile(r"[\x20-\x7e]+")


def check_user_agent(value: str) -> str:
    """The value to send; ValueError says why it cannot be one (length, characters)."""
    if not value or value != value.strip():
        raise ValueError("user_agent must be non-empty, without leading or trailing spaces")
    if len(value) > USER_AGENT_CHARS:
        raise ValueError(f"user_agent is longer than {USER_AGENT_CHARS} characters")
    if not _VISIBLE_ASCII.fullmatch(value):
        raise ValueError("user_agent must be printable ASCII: no control characters or newlines")
    return value


class ConfigError(Exception):
    """A setting is missing or invalid; the message names it."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    discord_token: SecretStr | None = None
    discord_api_base: str = "https://discord.com/api/v10"
    discord_gateway_url: str = "wss://gateway.discord.gg/"
    dev_guild_id: int | None = None
    # Run the feed/market/scoring jobs inside the bot process (the default for small installs).
    pipeline_enabled: bool = True
    # How `run`'s pipeline child yields the CPU to the Discord process (docs/scaling.md):
    # "nice" (10 steps nicer) or "idle" (also Linux's SCHED_IDLE; elsewhere: nice).
    pipeline_scheduling: Literal["nice", "idle"] = "nice"
    # Deliver due digests and breakout alerts from this process.
    deliveries_enabled: bool = True
    # Sharding (docs/scaling.md): this process runs SHARD_IDS (comma list; default: all) of
    # SHARD_COUNT shards and delivers only their guilds' digests and alerts. Unset: discord.py's
    # AutoShardedClient asks Discord for the count and this process runs every shard.
    shard_count: int | None = Field(default=None, ge=1, le=100_000)
    shard_ids: Annotated[list[int] | None, NoDecode] = None
    # Discord processes `run` starts (docs/scaling.md): N > 1 splits SHARD_COUNT (default N)
    # shards over this process and N - 1 supervised children, one core's event loop each.
    discord_processes: int = Field(default=1, ge=1, le=64)
    # How many feeds of its own a server may add with /feeds add.
    guild_feed_limit: int = Field(default=10, ge=0, le=100)
    # /feeds add attempts (successful or not) per server and per user in a sliding window;
    # counted in the database, so they hold across shards, processes and restarts.
    feeds_add_per_guild: int = Field(default=5, ge=1, le=1_000)
    feeds_add_per_user: int = Field(default=3, ge=1, le=1_000)
    feeds_add_window_seconds: int = Field(default=600, ge=10, le=7 * 86_400)
    # Response size cap for the /feeds add validation download (the periodic pass keeps
    # HTTP_MAX_BYTES; the smaller of the two applies).
    feeds_add_max_bytes: int = Field(default=2_000_000, ge=10_000)
    # Days a server's own feeds, subscriptions and settings are kept after the bot is
    # removed from it; the bot coming back within them restores everything.
    guild_retention_days: int = Field(default=30, ge=0, le=3_650)
    # Let feed fetches (the periodic pass and /feeds add) reach private/loopback addresses
    # (self-hosted feeds). Off: the SSRF guard refuses them. Link-local and cloud metadata
    # addresses stay refused either way (bot/utils/http/addresses.py).
    feeds_allow_private: bool = False

    data_dir: Path = DEFAULT_DATA_DIR
    database_url: str = ""
    feeds_file: Path | None = None
    fetch_interval: int = Field(default=600, ge=60, le=86_400)
    # Entries kept per feed document, the newest; a longer document is cut before parsing.
    feed_max_entries: int = Field(default=200, ge=10, le=2_000)
    default_language: Literal["en", "nl"] = "en"
    default_timezone: str = "Europe/Amsterdam"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"

    http_timeout: float = Field(default=20.0, gt=0, le=300)
    # A feed that answers but takes longer than this backs off like a failing one.
    feed_slow_seconds: float = Field(default=8.0, gt=0, le=300)
    http_max_bytes: int = Field(default=5_000_000, ge=10_000)
    http_per_host: int = Field(default=2, ge=1, le=16)
    http_user_agent: str = (
        "CryptoNewsBot/0.1 (+https://github.com/cryptobot/cryptobot; Discord news bot)"
    )

    # Market data and the Russell 2000 breakout signal (docs/signal.md).
    market_refresh_interval: int = Field(default=21_600, ge=300, le=7 * 86_400)
    breakout_min_sessions: int = Field(default=250, ge=20, le=5_000)
    breakout_confirm_rule: Literal["consecutive", "month_end"] = "consecutive"
    breakout_confirm_sessions: int = Field(default=20, ge=1, le=250)
    market_event_max_age_days: int = Field(default=7, ge=0, le=365)
    market_yahoo_url: str = "https://query1.finance.yahoo.com/v8/finance/chart/%5ERUT"
    market_binance_url: str = "https://api.binance.com/api/v3/klines"
    # Binance's market-data-only host, tried when MARKET_BINANCE_URL refuses our region (451/403).
    market_binance_fallback_url: str = "https://data-api.binance.vision/api/v3/klines"
    market_coingecko_url: str = "https://api.coingecko.com/api/v3/global"
    market_fng_url: str = "https://api.alternative.me/fng/"
    # Yahoo answers 429 to clients that look like bots; this UA is sent to Yahoo only.
    market_browser_user_agent: str = (
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/131.0.0.0 Safari/537.36"
    )

    # Sentiment (docs/sentiment.md): auto = the model when it loads, else the trained offline
    # model; offline = that model alone; lexicon = the word list alone.
    sentiment_backend: Literal["auto", "transformers", "offline", "lexicon"] = "auto"
    # A text-classification model (hub id or folder); empty = the e5 encoder + the shipped head.
    sentiment_model: str = ""
    sentiment_encoder: str = "intfloat/multilingual-e5-small"  # for the head; hub id or folder
    sentiment_head: Path | None = None  # the head's .npz; default: bot/data/sentiment/e5_head.npz
    # int8 for the e5 encoder, measured separately from SENTIMENT_QUANTIZE (docs/sentiment.md).
    sentiment_encoder_quantize: bool = False
    sentiment_model_nl: str | None = None  # optional Dutch-specific model (hub id or path)
    sentiment_batch_size: int = Field(default=16, ge=1, le=256)
    torch_threads: int = Field(default=0, ge=0, le=64)  # 0: CPUs - 1 (1..4)
    hf_cache_dir: Path | None = None  # default: the HuggingFace cache (HF_HOME)
    # int8 dynamic quantisation of the model's Linear layers: ~3x faster, ~250 MB smaller.
    sentiment_quantize: bool = True

    # Machine translation of titles and summaries EN<->NL (docs/translation.md). auto: on when
    # the models load, else off with one warning; on: a model that cannot load fails the pass.
    translation_enabled: Literal["auto", "on", "off"] = "auto"
    translation_model_en_nl: str = "Helsinki-NLP/opus-mt-en-nl"  # hub id or local folder
    translation_model_nl_en: str = "Helsinki-NLP/opus-mt-nl-en"
    translation_beams: int = Field(default=1, ge=1, le=8)  # 1 = greedy (about 4x faster)
    translation_per_pass: int = Field(default=50, ge=1, le=1_000)  # articles per direction
    translation_quantize: bool = True  # int8 dynamic quantisation, like SENTIMENT_QUANTIZE
    # auto: CTranslate2 when installed (converted from the checkpoint on first use), else torch.
    translation_engine: Literal["auto", "ctranslate2", "torch"] = "auto"
    # CTranslate2's intra-op threads; 0: TORCH_THREADS's value (1 on 2 cores: the event loop
    # of the Discord process shares them; docs/translation.md). torch's count is process-wide.
    translation_threads: int = Field(default=0, ge=0, le=64)

    # Daily digests and breakout alerts (docs/digest.md).
    digest_grace_hours: float = Field(default=6.0, ge=0, le=23)  # late delivery window
    digest_concurrency: int = Field(default=8, ge=1, le=50)  # sends in flight at once
    digest_max_attempts: int = Field(default=5, ge=1, le=20)
    digest_lease_seconds: int = Field(default=120, ge=30, le=3_600)
    digest_tick_seconds: float = Field(default=30, ge=0.2, le=300)
    alert_max_age_hours: int = Field(default=72, ge=1, le=720)

    # Live news in channels (docs/live.md). A tick checks the store for new stories.
    live_tick_seconds: float = Field(default=10, ge=0.2, le=50)
    live_backlog: int = Field(default=0, ge=0, le=10)  # newest stories posted on subscribe
    live_max_age_hours: float = Field(default=6, gt=0, le=24)  # never post older stories
    live_rate_posts: int = Field(default=10, ge=2, le=50)  # posts per channel per window
    live_rate_window_seconds: int = Field(default=600, ge=60, le=86_400)

    @field_validator("default_timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown IANA time zone {value!r}") from exc
        return value

    @field_validator("http_user_agent", "market_browser_user_agent")
    @classmethod
    def _sendable_user_agent(cls, value: str) -> str:
        return check_user_agent(value)  # a newline would start a header of its own

    @field_validator("shard_ids", mode="before")
    @classmethod
    def _comma_list(cls, value: object) -> object:
        if isinstance(value, str):
            return [int(part) for part in value.replace(" ", "").split(",") if part] or None
        return value

    @model_validator(mode="after")
    def _shards_in_range(self) -> Settings:
        if self.shard_ids is not None:
            if self.shard_count is None:
                raise ValueError("SHARD_IDS needs SHARD_COUNT")
            if any(not 0 <= n < self.shard_count for n in self.shard_ids):
                raise ValueError(f"SHARD_IDS must lie in 0..{self.shard_count - 1}")
        if self.discord_processes > 1:
            if self.shard_ids is not None:
                raise ValueError(
                    "SHARD_IDS and DISCORD_PROCESSES > 1 both pick this process's shards: "
                    "set SHARD_IDS per worker by hand, or let DISCORD_PROCESSES split them"
                )
            if self.shard_count is not None and self.shard_count < self.discord_processes:
                raise ValueError(
                    f"SHARD_COUNT ({self.shard_count}) must be at least DISCORD_PROCESSES "
                    f"({self.discord_processes}): each process needs a shard"
                )
        return self

    @field_validator("sentiment_head", "hf_cache_dir", mode="before")
    @classmethod
    def _empty_path(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{self.data_dir / 'cryptobot.db'}"

    def environment(self) -> dict[str, str]:
        """These settings as environment variables, for a child process that must run with
        exactly them (settings given as arguments, not from the environment, included)."""
        env = {}
        for name, value in self.model_dump().items():
            if value is None:
                continue
            if isinstance(value, SecretStr):
                value = value.get_secret_value()
            elif isinstance(value, bool):
                value = "true" if value else "false"
            elif isinstance(value, list):
                value = ",".join(str(v) for v in value)
            env[name.upper()] = str(value)
        return env

    def require_token(self) -> str:
        if self.discord_token is None or not self.discord_token.get_secret_value().strip():
            raise ConfigError(
                "DISCORD_TOKEN is not set: put it in the environment or .env "
                "(or try `python -m bot demo`, which runs offline without Discord)"
            )
        return self.discord_token.get_secret_value().strip()


def load_settings(**overrides: object) -> Settings:
    """Load settings, turning validation errors into one message that names the setting."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            if not err["loc"]:  # a rule across settings names them itself
                problems.append(str(err["msg"]).removeprefix("Value error, "))
                continue
            name = str(err["loc"][0]).upper()
            problems.append(f"{name}: {err['msg']}")
        raise ConfigError("invalid setting " + "; ".join(problems)) from None
