"""The news pipeline: feeds, fetch, parse, clean, coin tags, dedupe, store, top stories."""
