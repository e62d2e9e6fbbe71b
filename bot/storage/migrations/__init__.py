"""Versioned schema migrations: `mNNNN_name.py` modules, each with a `STATEMENTS` list.

Write portable SQL; `{id}` expands to the dialect's auto-increment primary key. Never edit a
migration that has landed: add a new one. Table objects used at run time live beside the
domain code (e.g. bot/news/tables.py); tests/storage checks both agree.
"""
