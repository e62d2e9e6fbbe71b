"""Live news in channels: new stories posted as they are stored (see docs/live.md)."""
