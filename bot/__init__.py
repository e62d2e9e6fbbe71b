"""Crypto news-and-signal Discord bot: the core package (plain Python, mostly discord-free)."""

__version__ = "0.1.0"
