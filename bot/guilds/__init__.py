"""Per-server state: reply language, a server's own feeds, default feeds switched off."""
