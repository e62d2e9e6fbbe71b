"""Build the `data.options` / `data.resolved` of an injected slash command or autocomplete.

`name` is what a user sees: "language set" means command "language", subcommand "set";
"feeds admin add" adds a subcommand group. Option types come from the last synced command
definition when there is one, else from the Python value.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.fakediscord.model import Channel, Role, User

SUB_COMMAND, SUB_COMMAND_GROUP = 1, 2
STRING, INTEGER, BOOLEAN, USER, CHANNEL, ROLE, MENTIONABLE, NUMBER = 3, 4, 5, 6, 7, 8, 9, 10


@dataclass
class Resolver:
    """Turns ids into the `data.resolved` payloads: users (with members), channels, roles."""

    user: Callable[[int], tuple[dict[str, Any], dict[str, Any] | None]]
    channel: Callable[[int], dict[str, Any]]
    role: Callable[[int], dict[str, Any]]
    resolved: dict[str, dict[str, Any]] = field(default_factory=dict)

    def add(self, kind: int, value: int) -> None:
        key = str(value)
        if kind == USER or (kind == MENTIONABLE and not self._is_role(value)):
            user, member = self.user(value)
            self.resolved.setdefault("users", {})[key] = user
            if member is not None:
                self.resolved.setdefault("members", {})[key] = member
        elif kind == CHANNEL:
            self.resolved.setdefault("channels", {})[key] = self.channel(value)
        elif kind in (ROLE, MENTIONABLE):
            self.resolved.setdefault("roles", {})[key] = self.role(value)

    def _is_role(self, value: int) -> bool:
        try:
            self.role(value)
        except KeyError:
            return False
        return True


def _infer_type(value: Any) -> int:
    if isinstance(value, bool):
        return BOOLEAN
    if isinstance(value, int):
        return INTEGER
    if isinstance(value, float):
        return NUMBER
    if isinstance(value, User):
        return USER
    if isinstance(value, Channel):
        return CHANNEL
    if isinstance(value, Role):
        return ROLE
    return STRING


def _find(options: list[dict[str, Any]], name: str) -> dict[str, Any] | None:
    return next((o for o in options if o.get("name") == name), None)


def build_options(
    schema: dict[str, Any] | None,
    path: list[str],
    values: dict[str, Any],
    resolver: Resolver,
    focused: str | None = None,
) -> list[dict[str, Any]]:
    """Leaf options nested inside the subcommand path, with resolved entities registered."""
    level = (schema or {}).get("options") or []
    kinds: list[int] = []
    for depth, part in enumerate(path):
        found = _find(level, part)
        default = SUB_COMMAND_GROUP if depth < len(path) - 1 else SUB_COMMAND
        kinds.append(found.get("type", default) if found else default)
        level = (found or {}).get("options") or []

    leaves: list[dict[str, Any]] = []
    for name, value in values.items():
        declared = _find(level, name)
        kind = declared["type"] if declared else _infer_type(value)
        raw = value.id if isinstance(value, User | Channel | Role) else value
        option: dict[str, Any] = {"name": name, "type": kind, "value": raw}
        if kind in (USER, CHANNEL, ROLE, MENTIONABLE):
            option["value"] = str(raw)
            if name != focused:
                resolver.add(kind, int(raw))
        if name == focused:
            option["focused"] = True
            option["value"] = str(raw)  # Discord sends what the user has typed so far
        leaves.append(option)

    options = leaves
    for part, kind in zip(reversed(path), reversed(kinds), strict=True):
        options = [{"name": part, "type": kind, "options": options}]
    return options
