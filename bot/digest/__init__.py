"""Daily digests and breakout alerts: schedule, compose, and deliver each exactly once."""
