"""How much of what a feed provides is stored, and which characters never are.

Feed text is untrusted and unbounded: a 4.9 MB `<title>` would otherwise become a feed's name
and be copied into every article it stores. Everything stored from a feed goes through these
limits (in characters): display text is clipped at a word with an ellipsis, keys and links
that are too long are not clipped (a cut link points elsewhere) but refused or replaced; as
keys, they must fit the limit in UTF-8 bytes too (`fits_key`).

No discord import here: bot/news uses this in the pipeline process.
"""

from __future__ import annotations

FEED_NAME_CHARS = 100
TITLE_CHARS = 300
SUMMARY_CHARS = 1000  # the hard bound; bot/news/clean.py cuts summaries near 300 first
AUTHOR_CHARS = 100  # for when authors are stored (they are not yet)
LINK_CHARS = 2048
GUID_CHARS = 2048
# A feed's fetch state: its validators (ETag, Last-Modified) are not stored when longer (the
# next fetch is then unconditional); the error, which can quote the document, is clipped.
VALIDATOR_CHARS = 2048
ERROR_CHARS = 300

# Characters that change how the text around them is shown without being visible: C0 and C1
# controls, the bidi embeddings/overrides (U+202A-202E) and isolates (U+2066-2069), and the
# zero-width space, joiners, word joiner and BOM. Controls that separate text (tab, newlines,
# the information separators, NEL) become a space; the rest disappear.
_SEPARATORS = "\t\n\v\f\r\x1c\x1d\x1e\x1f\x85"
_INVISIBLE = (
    [chr(c) for c in range(0x20) if chr(c) not in _SEPARATORS]
    + [chr(c) for c in range(0x7F, 0xA0) if chr(c) not in _SEPARATORS]
    + ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"]
    + [chr(c) for c in range(0x202A, 0x202F)]
    + [chr(c) for c in range(0x2066, 0x206A)]
)
_STRIP = str.maketrans({**dict.fromkeys(_SEPARATORS, " "), **dict.fromkeys(_INVISIBLE)})
# In a link, tab and newlines are dropped (as browsers do); other invisible characters are
# percent-encoded, so the link still leads where it did and shows nothing hidden.
_LINK = str.maketrans(
    {
        **dict.fromkeys("\t\n\r"),
        **{
            c: "".join(f"%{b:02X}" for b in c.encode())
            for c in _SEPARATORS + "".join(_INVISIBLE)
            if c not in "\t\n\r"
        },
    }
)


def strip_invisible(text: str) -> str:
    """Remove control, bidi-override and zero-width characters (separators become spaces)."""
    return text.translate(_STRIP)


def clean_link_chars(url: str) -> str:
    """A link without raw control or invisible characters (percent-encoded instead)."""
    return url.translate(_LINK)


def clip(text: str, limit: int) -> str:
    """Cut to at most `limit` characters at a word boundary, ending with an ellipsis."""
    text = text.strip()
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit * 0.6:
        cut = cut[:space]
    return cut.rstrip(" ,;:.-–—") + "…"


def display_text(text: str, limit: int) -> str:
    """One line of feed text to store and show: invisible characters out, spaces collapsed,
    clipped to `limit`."""
    # Only the start can end up stored (short of megabytes of blanks): spare a multi-megabyte
    # string the full passes.
    head = text[: limit * 4 + 1000] if len(text) > limit * 4 + 1000 else text
    return clip(" ".join(strip_invisible(head).split()), limit)


def feed_name(name: str) -> str:
    return display_text(name, FEED_NAME_CHARS)


def fits_key(value: str, limit: int) -> bool:
    """At most `limit` characters, and as many bytes in UTF-8: links and GUIDs are unique
    keys, and a PostgreSQL btree entry holds at most 2,704 bytes (2,048 CJK characters would
    be 6 KB and fail the whole feed's insert)."""
    return len(value) <= limit and len(value.encode("utf-8", "surrogatepass")) <= limit


def usable_link(url: str) -> bool:
    """An http(s) link short enough to store (longer ones are dropped, never clipped)."""
    return url.startswith(("http://", "https://")) and fits_key(url, LINK_CHARS)
