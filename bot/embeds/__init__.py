"""Render domain views as Discord embeds, in the current language, within Discord's limits."""
