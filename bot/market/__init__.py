"""The market side: bundled history, live refresh, the Russell 2000 breakout signal, charts.

Public entry points: `build_signal_report` (report.py), `render_report_text` (text.py),
`render_chart` (chart.py), `refresh_market` / `market_refresh_loop` (refresh.py),
`ensure_bundled_history` (signal.py) and `list_signal_events` (events.py). Pure logic lives
in breakout.py, aftermath.py, context.py and sources.py; none of it imports discord.
"""
