"""Queued fault responses: "answer the next N requests to this route with that error"."""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from typing import Any

DEFAULT_CODES = {403: 50013, 404: 10003, 500: 0, 502: 0, 503: 0, 504: 0}
MESSAGES = {
    403: "Missing Permissions",
    404: "Unknown Channel",
    429: "You are being rate limited.",
}


@dataclass
class Fault:
    method: str
    pattern: str  # fnmatch pattern over the path after /api/v10, e.g. "/channels/*/messages"
    status: int
    remaining: int
    code: int | None = None
    retry_after: float = 0.05
    via: bool = True
    is_global: bool = False

    def matches(self, method: str, path: str) -> bool:
        return self.method in ("*", method) and fnmatch.fnmatchcase(path, self.pattern)

    def response(self) -> tuple[int, dict[str, Any], dict[str, str]]:
        """Status, JSON body and headers, shaped like Discord's (or Cloudflare's) answer."""
        if self.status == 429:
            headers = {"Retry-After": str(max(1, round(self.retry_after)))}
            if self.via:  # discord.py retries a 429 only when it came through Discord's proxy
                headers["Via"] = "1.1 google"
            headers["X-RateLimit-Scope"] = "global" if self.is_global else "user"
            body = {
                "message": MESSAGES[429],
                "retry_after": self.retry_after,
                "global": self.is_global,
            }
            return 429, body, headers
        code = self.code if self.code is not None else DEFAULT_CODES.get(self.status, 0)
        text = MESSAGES.get(self.status, f"{self.status}: fault injected")
        return self.status, {"message": text, "code": code}, {}


@dataclass
class FaultLog:
    method: str
    path: str
    status: int


class Faults:
    def __init__(self) -> None:
        self.queued: list[Fault] = []
        self.served: list[FaultLog] = []

    def add(self, fault: Fault) -> None:
        self.queued.append(fault)

    def take(self, method: str, path: str) -> Fault | None:
        for fault in self.queued:
            if fault.remaining > 0 and fault.matches(method, path):
                fault.remaining -= 1
                self.served.append(FaultLog(method, path, fault.status))
                return fault
        return None
