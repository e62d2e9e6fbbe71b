"""How deliveries behave (grace, concurrency, retries, lease) and what a tick reports."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from bot.config import Settings
from bot.digest.schedule import DEFAULT_GRACE
from bot.utils.backoff import exponential_backoff


@dataclass(frozen=True)
class DeliveryPolicy:
    grace: timedelta = DEFAULT_GRACE
    concurrency: int = 8
    max_attempts: int = 5
    lease: timedelta = timedelta(minutes=2)
    backoff_base: float = 2.0
    backoff_cap: float = 60.0
    alert_window: timedelta = timedelta(hours=72)
    batch: int = 250  # due subscriptions read and claimed per step

    @classmethod
    def from_settings(cls, settings: Settings) -> DeliveryPolicy:
        return cls(
            grace=timedelta(hours=settings.digest_grace_hours),
            concurrency=settings.digest_concurrency,
            max_attempts=settings.digest_max_attempts,
            lease=timedelta(seconds=settings.digest_lease_seconds),
            alert_window=timedelta(hours=settings.alert_max_age_hours),
        )

    @property
    def retry_budget(self) -> float:
        """Seconds one process may spend waiting between retries while it holds the lease."""
        return self.lease.total_seconds() / 2

    def backoff(self, attempt: int, retry_after: float | None) -> float:
        return exponential_backoff(
            attempt, base=self.backoff_base, cap=self.backoff_cap, retry_after=retry_after
        )


@dataclass
class DeliveryReport:
    sent: int = 0  # posted now
    recovered: int = 0  # found already posted by an earlier (crashed) attempt
    retried: int = 0  # retryable errors met (each followed by a wait)
    deferred: int = 0  # handed back as 'pending' for a later tick
    failed: int = 0
    skipped: int = 0  # missed days and resolutions past the grace window
    disabled: list[int] = field(default_factory=list)  # subscription ids switched off
    # The language of each digest composed this tick (once per feed set and language).
    composed: list[str] = field(default_factory=list)
    message_ids: list[int] = field(default_factory=list)

    @property
    def delivered(self) -> int:
        return self.sent + self.recovered
