"""/feeds add attempts (rate limits that hold across processes) and servers the bot left.

`command_attempts` has one row per attempt; bot/guilds/ratelimit.py counts those in the
window per server and per user. `guild_removals` has a row while the bot is out of a server:
its own feeds are not fetched and its subscriptions are paused, until the bot returns (the
row goes) or the retention period ends (the server's data goes with it). See
bot/guilds/membership.py.
"""

STATEMENTS = [
    """
    CREATE TABLE command_attempts (
        id {id},
        action VARCHAR(40) NOT NULL,
        guild_id BIGINT NOT NULL,
        user_id BIGINT NOT NULL,
        attempted_at TIMESTAMP NOT NULL
    )
    """,
    "CREATE INDEX ix_command_attempts_guild ON command_attempts (action, guild_id, attempted_at)",
    "CREATE INDEX ix_command_attempts_user ON command_attempts (action, user_id, attempted_at)",
    """
    CREATE TABLE guild_removals (
        guild_id BIGINT PRIMARY KEY,
        removed_at TIMESTAMP NOT NULL,
        source VARCHAR(16) NOT NULL
    )
    """,
]
