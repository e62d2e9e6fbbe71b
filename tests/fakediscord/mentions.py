"""Who a message would ping, following Discord's `allowed_mentions` rules.

Only `content` pings (embeds never do). Without `allowed_mentions` everything in the content
pings; with it, only what `parse` lists or `users`/`roles` name explicitly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

USER = re.compile(r"<@!?(\d+)>")
ROLE = re.compile(r"<@&(\d+)>")
EVERYONE = re.compile(r"@(everyone|here)\b")


@dataclass
class Pings:
    everyone: bool = False
    users: set[int] = field(default_factory=set)
    roles: set[int] = field(default_factory=set)

    @property
    def nobody(self) -> bool:
        return not (self.everyone or self.users or self.roles)


def resolve_pings(
    content: str, allowed: dict[str, Any] | None, may_ping_everyone: bool = True
) -> Pings:
    users = {int(x) for x in USER.findall(content)}
    roles = {int(x) for x in ROLE.findall(content)}
    everyone = bool(EVERYONE.search(content)) and may_ping_everyone
    if allowed is None:
        return Pings(everyone, users, roles)
    parse = set(allowed.get("parse") or [])
    allowed_users = {int(x) for x in allowed.get("users") or []}
    allowed_roles = {int(x) for x in allowed.get("roles") or []}
    return Pings(
        everyone=everyone and "everyone" in parse,
        users=users if "users" in parse else users & allowed_users,
        roles=roles if "roles" in parse else roles & allowed_roles,
    )
