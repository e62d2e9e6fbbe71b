"""Pieces every embed shares: sentiment badges and labels."""

from __future__ import annotations

from bot.i18n import N_, _

BADGES = {"bullish": "🟢", "neutral": "⚪", "bearish": "🔴"}
LABEL_NAMES = {"bullish": N_("bullish"), "neutral": N_("neutral"), "bearish": N_("bearish")}
DISCLAIMER = N_("Not financial advice.")


def badge(label: str | None) -> str:
    return BADGES.get(label or "", "▫️")


def label_name(label: str) -> str:
    return _(LABEL_NAMES[label])
