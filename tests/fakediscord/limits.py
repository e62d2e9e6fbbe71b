"""Discord's message and command limits, answered the way Discord answers them.

Each check returns None when the payload is fine, or an `ApiError` (400, code 50035 "Invalid
Form Body" with Discord's nested `errors` object; 50006 for an empty message, as Discord does).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

MAX_CONTENT = 2000
MAX_EMBEDS = 10
MAX_EMBED_TOTAL = 6000
MAX_FIELDS = 25
MAX_FILES = 10
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
EMBED_TEXT_LIMITS = {"title": 256, "description": 4096}
MAX_CHOICES = 25

LOCALES = frozenset(
    {
        "id",
        "da",
        "de",
        "en-GB",
        "en-US",
        "es-ES",
        "es-419",
        "fr",
        "hr",
        "it",
        "lt",
        "hu",
        "nl",
        "no",
        "pl",
        "pt-BR",
        "ro",
        "fi",
        "sv-SE",
        "vi",
        "tr",
        "cs",
        "el",
        "bg",
        "ru",
        "uk",
        "hi",
        "th",
        "zh-CN",
        "ja",
        "zh-TW",
        "ko",
    }
)
# Discord's CHAT_INPUT name rule, \w standing in for its letter/number classes.
COMMAND_NAME = re.compile(r"^[-_'\w]{1,32}$")
MAX_COMMAND_TEXT = 4000


@dataclass
class ApiError(Exception):
    status: int
    code: int
    message: str
    errors: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.status} (code {self.code}): {self.message} {self.errors or ''}".rstrip()

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.errors:
            body["errors"] = self.errors
        return body


def _form_error(problems: list[tuple[str, str, str]]) -> ApiError:
    """Nest ("embeds.0.title", CODE, text) triples into Discord's errors object."""
    errors: dict[str, Any] = {}
    for path, code, text in problems:
        node = errors
        for key in path.split("."):
            node = node.setdefault(key, {})
        node.setdefault("_errors", []).append({"code": code, "message": text})
    return ApiError(400, 50035, "Invalid Form Body", errors)


def _max_len(problems: list[tuple[str, str, str]], path: str, value: Any, limit: int) -> None:
    if isinstance(value, str) and len(value) > limit:
        problems.append((path, "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length."))


def embed_text_size(embed: dict[str, Any]) -> int:
    size = len(embed.get("title") or "") + len(embed.get("description") or "")
    size += len((embed.get("footer") or {}).get("text") or "")
    size += len((embed.get("author") or {}).get("name") or "")
    for f in embed.get("fields") or []:
        size += len(f.get("name") or "") + len(f.get("value") or "")
    return size


def check_message(
    payload: dict[str, Any], n_files: int = 0, *, require_body: bool = True
) -> ApiError | None:
    problems: list[tuple[str, str, str]] = []
    _max_len(problems, "content", payload.get("content"), MAX_CONTENT)
    embeds = payload.get("embeds") or []
    if len(embeds) > MAX_EMBEDS:
        problems.append(
            ("embeds", "BASE_TYPE_MAX_LENGTH", f"Must be {MAX_EMBEDS} or fewer in length.")
        )
    total = 0
    for i, embed in enumerate(embeds):
        for key, limit in EMBED_TEXT_LIMITS.items():
            _max_len(problems, f"embeds.{i}.{key}", embed.get(key), limit)
        _max_len(problems, f"embeds.{i}.footer.text", (embed.get("footer") or {}).get("text"), 2048)
        _max_len(problems, f"embeds.{i}.author.name", (embed.get("author") or {}).get("name"), 256)
        fields = embed.get("fields") or []
        if len(fields) > MAX_FIELDS:
            problems.append(
                (f"embeds.{i}.fields", "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
            )
        for j, f in enumerate(fields):
            _max_len(problems, f"embeds.{i}.fields.{j}.name", f.get("name"), 256)
            _max_len(problems, f"embeds.{i}.fields.{j}.value", f.get("value"), 1024)
            for key in ("name", "value"):
                if not f.get(key):
                    problems.append(
                        (
                            f"embeds.{i}.fields.{j}.{key}",
                            "BASE_TYPE_REQUIRED",
                            "This field is required",
                        )
                    )
        total += embed_text_size(embed)
    if total > MAX_EMBED_TOTAL:
        problems.append(
            ("embeds", "MAX_EMBED_SIZE_EXCEEDED", "Embed size exceeds maximum size of 6000")
        )
    if problems:
        return _form_error(problems)
    if n_files > MAX_FILES:
        return ApiError(
            400,
            50035,
            "Invalid Form Body",
            {
                "files": {
                    "_errors": [
                        {
                            "code": "BASE_TYPE_MAX_LENGTH",
                            "message": "Must be 10 or fewer in length.",
                        }
                    ]
                }
            },
        )
    has_body = bool(
        payload.get("content")
        or embeds
        or n_files
        or payload.get("components")
        or payload.get("sticker_ids")
        or payload.get("poll")
        or payload.get("attachments")
    )
    if require_body and not has_body:
        return ApiError(400, 50006, "Cannot send an empty message")
    return None


def check_choices(data: dict[str, Any]) -> ApiError | None:
    problems: list[tuple[str, str, str]] = []
    choices = data.get("choices") or []
    if len(choices) > MAX_CHOICES:
        problems.append(("data.choices", "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length."))
    for i, choice in enumerate(choices):
        name = choice.get("name") or ""
        if not 1 <= len(name) <= 100:
            problems.append(
                (
                    f"data.choices.{i}.name",
                    "BASE_TYPE_BAD_LENGTH",
                    "Must be between 1 and 100 in length.",
                )
            )
        if isinstance(choice.get("value"), str) and len(choice["value"]) > 100:
            _max_len(problems, f"data.choices.{i}.value", choice["value"], 100)
    return _form_error(problems) if problems else None


def _check_names(
    problems: list[tuple[str, str, str]], path: str, item: dict[str, Any], slash: bool
) -> None:
    names = {None: item.get("name") or ""} | dict(item.get("name_localizations") or {})
    for locale, name in names.items():
        where = path + ".name" if locale is None else f"{path}.name_localizations.{locale}"
        if locale is not None and locale not in LOCALES:
            problems.append((where, "LOCALE_INVALID", f"Invalid locale {locale}"))
        elif slash and (not COMMAND_NAME.match(name) or name != name.lower()):
            problems.append(
                (where, "APPLICATION_COMMAND_INVALID_NAME", f"Command name is invalid: {name!r}")
            )
    descriptions = {None: item.get("description")} | dict(
        item.get("description_localizations") or {}
    )
    for locale, text in descriptions.items():
        where = (
            path + ".description"
            if locale is None
            else f"{path}.description_localizations.{locale}"
        )
        if locale is not None and locale not in LOCALES:
            problems.append((where, "LOCALE_INVALID", f"Invalid locale {locale}"))
        elif slash and not 1 <= len(text or "") <= 100:
            problems.append((where, "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length."))


def _check_options(
    problems: list[tuple[str, str, str]], path: str, options: list[dict[str, Any]]
) -> None:
    if len(options) > 25:
        problems.append((path, "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length."))
    for i, option in enumerate(options):
        _check_names(problems, f"{path}.{i}", option, slash=True)
        if len(option.get("choices") or []) > MAX_CHOICES:
            problems.append(
                (f"{path}.{i}.choices", "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
            )
        _check_options(problems, f"{path}.{i}.options", option.get("options") or [])


def _longest(item: dict[str, Any], key: str) -> int:
    """Discord counts only the longest of a field and its localizations."""
    texts = [str(item.get(key) or ""), *(item.get(f"{key}_localizations") or {}).values()]
    return max(len(t) for t in texts)


def command_text_size(item: dict[str, Any]) -> int:
    """Names, descriptions and choice names/values of a command and all its options."""
    size = _longest(item, "name") + _longest(item, "description")
    for choice in item.get("choices") or []:
        size += _longest(choice, "name") + len(str(choice.get("value", "")))
    return size + sum(command_text_size(o) for o in item.get("options") or [])


def check_commands(commands: list[dict[str, Any]]) -> ApiError | None:
    """Names, descriptions, localizations and option counts of a bulk overwrite."""
    problems: list[tuple[str, str, str]] = []
    seen: set[tuple[str, int]] = set()
    for i, command in enumerate(commands):
        slash = command.get("type", 1) == 1
        _check_names(problems, str(i), command, slash)
        _check_options(problems, f"{i}.options", command.get("options") or [])
        key = (command.get("name") or "", command.get("type", 1))
        if key in seen:
            problems.append(
                (str(i), "APPLICATION_COMMANDS_DUPLICATE_NAME", f"Duplicate name {key[0]}")
            )
        seen.add(key)
        if command_text_size(command) > MAX_COMMAND_TEXT:
            problems.append((str(i), "APPLICATION_COMMAND_TOO_LARGE", "Command exceeds 4000 chars"))
    if len(commands) > 100:
        problems.append(("_", "BASE_TYPE_MAX_LENGTH", "Must be 100 or fewer in length."))
    return _form_error(problems) if problems else None
