"""Shared plumbing with no domain knowledge: HTTP, backoff, caching, worker threads."""
