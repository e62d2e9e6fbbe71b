"""Turn feed HTML into clean text: tags stripped, entities decoded, boilerplate removed, a
summary cut at a sentence boundary; and canonical links without tracking parameters."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from bot.text_limits import clean_link_chars, strip_invisible

SUMMARY_CHARS = 300

_BLOCK_TAGS = {"p", "br", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "blockquote"}
_SKIP_TAGS = {"script", "style", "noscript", "figcaption", "iframe"}


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            self._skip += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self._skip = max(0, self._skip - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


_ENTITY = re.compile(r"&(#\d+|#x[0-9a-fA-F]+|[a-zA-Z]{2,8});")

# Footers feeds append to every item ("The post X appeared first on Y."), in both languages,
# and "read more" tails.
_BOILERPLATE = [
    re.compile(r"\bThe post\b.{0,400}?\bappeared first on\b.{0,120}$", re.S | re.I),
    re.compile(r"\bHet bericht\b.{0,400}?\bverscheen eerst op\b.{0,120}$", re.S | re.I),
    re.compile(r"\bDe post\b.{0,400}?\bverscheen eerst op\b.{0,120}$", re.S | re.I),
    re.compile(r"\b(Continue reading|Read more|Lees verder|Lees meer)\b.{0,80}$", re.S | re.I),
    re.compile(r"\s*\[(?:…|\.\.\.|&hellip;)\]\s*$"),
]
_SPACE = re.compile(r"[ \t\u00a0\u200b]+")
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'”’)]?\s+(?=[A-Z0-9“\"'‘(À-Ý])")


def unescape(text: str) -> str:
    """Decode entities, twice if needed: feeds double-escape (`What&amp;#039;s`)."""
    for _ in range(3):
        decoded = html.unescape(text)
        if decoded == text:
            break
        text = decoded
    return text


def strip_html(text: str) -> str:
    """Plain text from HTML (or from text that only holds entities)."""
    if "<" in text:
        parser = _TextExtractor()
        parser.feed(text)
        parser.close()
        text = "".join(parser.parts)
    return unescape(text)


def collapse(text: str) -> str:
    lines = (_SPACE.sub(" ", line).strip() for line in text.splitlines())
    return " ".join(line for line in lines if line)


def clean_title(raw: str) -> str:
    """Plain one-line text; control, bidi-override and zero-width characters removed (also
    those spelled as entities)."""
    return collapse(strip_invisible(strip_html(raw)))


def clean_text(raw: str) -> str:
    """Full clean text of a summary or content field, boilerplate removed."""
    text = collapse(strip_invisible(strip_html(raw)))
    for pattern in _BOILERPLATE:
        text = pattern.sub("", text).strip()
    return text


def cut_summary(text: str, limit: int = SUMMARY_CHARS) -> str:
    """Whole sentences up to about `limit` characters; a long first sentence is cut at a word."""
    if len(text) <= limit:
        return text
    out = ""
    for sentence in _SENTENCE_END.split(text):
        candidate = f"{out} {sentence}".strip()
        if len(candidate) > limit:
            break
        out = candidate
    if out:
        return out
    cut = text[:limit].rsplit(" ", 1)[0].rstrip(",;:-–— ")
    return cut + "…"


def summarize(raw: str, limit: int = SUMMARY_CHARS) -> str:
    return cut_summary(clean_text(raw), limit)


# Query parameters that only track the reader, never select the content.
_TRACKING = {
    "fbclid",
    "gclid",
    "dclid",
    "msclkid",
    "mc_cid",
    "mc_eid",
    "ref",
    "ref_src",
    "referrer",
    "source",
    "igshid",
    "yclid",
    "_hsenc",
    "_hsmi",
    "mkt_tok",
    "cmpid",
    "ito",
    "rss",
    "feed",
}


def _is_tracking(key: str) -> bool:
    key = key.lower()
    return key.startswith(("utm_", "pk_", "mtm_")) or key in _TRACKING


def canonical_link(url: str) -> str:
    """Drop tracking parameters and the fragment; lower-case scheme and host; control and
    invisible characters percent-encoded."""
    url = clean_link_chars(url.strip())
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if not parts.scheme or not parts.netloc:
        return url
    query = [
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _is_tracking(k)
    ]
    netloc = parts.netloc.lower()
    if parts.scheme.lower() == "https" and netloc.endswith(":443"):
        netloc = netloc[:-4]
    elif parts.scheme.lower() == "http" and netloc.endswith(":80"):
        netloc = netloc[:-3]
    path = parts.path or "/"
    return urlunsplit((parts.scheme.lower(), netloc, path, urlencode(query), ""))
