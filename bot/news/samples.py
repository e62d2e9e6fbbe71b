"""The bundled sample feeds and a fetcher that reads files instead of the network (demo)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from bot.news.feeds import FeedSpec, parse_feeds_toml
from bot.news.fetch import Conditional, FetchResult, FetchStatus

SAMPLE_DIR = Path(__file__).resolve().parent.parent / "data" / "sample_feeds"


@dataclass(frozen=True)
class FileFetcher:
    """Serves each feed URL from a local file, through the same FetchResult as HTTP."""

    files: dict[str, Path]

    async def __call__(self, url: str, conditional: Conditional) -> FetchResult:
        path = self.files.get(url)
        if path is None:
            return FetchResult(FetchStatus.GONE, url=url, error="no_file")
        try:
            body = path.read_bytes()  # small bundled files: a thread hop costs more than this
        except OSError as exc:
            return FetchResult(FetchStatus.FAILING, url=url, error=f"file: {exc.strerror}")
        return FetchResult(
            FetchStatus.OK,
            body=body,
            headers={"content-type": "application/rss+xml", "content-location": url},
            url=url,
        )


def sample_feeds(directory: Path = SAMPLE_DIR) -> tuple[list[FeedSpec], FileFetcher]:
    text = (directory / "feeds.toml").read_text(encoding="utf-8")
    specs = parse_feeds_toml(text, extra_keys=frozenset({"file"}))
    files = {f["url"]: directory / f["file"] for f in tomllib.loads(text)["feeds"]}
    return specs, FileFetcher(files)
