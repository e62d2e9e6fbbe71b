"""Whether translation is on, as the pipeline last saw it: for /about, `status` and the demo.

The pipeline may run in another process, so its view is stored (app_state), not held in
memory. `translation_state` is what the display side calls; None means no pass has run yet.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime

from bot.storage import Database, kv

STATE_KEY = "translation:state"


@dataclass(frozen=True)
class TranslationState:
    mode: str  # TRANSLATION_ENABLED: auto | on | off
    on: bool  # some direction has a model (loaded or loadable)
    models: dict[str, str] = field(default_factory=dict)  # target -> model of the stored rows
    off: dict[str, str] = field(default_factory=dict)  # target -> why that direction is off
    reading: list[str] = field(default_factory=list)  # languages servers read (readers.py)
    translated: int = 0  # stories translated in the last pass (ok rows)
    fallbacks: int = 0  # stories kept in the original because a check failed
    updated_at: datetime | None = None

    @property
    def reason(self) -> str | None:
        """Why translation is off (None when on): one line for the log or the CLI."""
        if self.on:
            return None
        return "; ".join(dict.fromkeys(self.off.values())) or "no model"


async def record_translation_state(db: Database, state: TranslationState) -> None:
    values = asdict(state)
    values["updated_at"] = state.updated_at.isoformat() if state.updated_at else None
    await kv.set_value(db, STATE_KEY, json.dumps(values))


async def translation_state(db: Database) -> TranslationState | None:
    raw = await kv.get_value(db, STATE_KEY)
    if raw is None:
        return None
    values = json.loads(raw)
    if values.get("updated_at"):
        values["updated_at"] = datetime.fromisoformat(values["updated_at"])
    known = TranslationState.__dataclass_fields__
    return TranslationState(**{k: v for k, v in values.items() if k in known})
