"""Shared MetaData for the run-time Table objects that domain modules define."""

from sqlalchemy import MetaData

metadata = MetaData()
