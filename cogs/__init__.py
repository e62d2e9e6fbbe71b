"""Thin Discord glue: one module per command group; the logic lives in `bot/`."""
