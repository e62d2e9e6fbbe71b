"""Sentiment of news articles: one backend interface (types), a transformers backend and an
offline lexicon backend, the factory choosing between them, storage of scores per
backend+model, aggregates per period and coin, and evaluation on labelled CSVs."""
