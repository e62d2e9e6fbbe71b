"""Compose: plain domain views for replies, read from what the pipeline stored (no fetching)."""
