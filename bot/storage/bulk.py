"""One statement for many rows (executemany), in batches small enough to send in one write.

Every executemany goes through `execute_many`, because of a hang in asyncpg
(MagicStack/asyncpg#1265). Its executemany sends rows under flow control, four 32 KiB
buffers at a time, yielding to the loop between them. A task cancelled at such a point is
never cancelled: `bind_execute_many` awaits its result in a `finally`, which swallows the
CancelledError, and that result never comes, since the rest of the rows and the closing Sync
were never sent. The task hangs forever, and so does whoever awaits it. On CI, a bot
stopping waited on a cog's task that was loading the bundled market history
(tests/storage/test_bulk.py). A batch that fits in the first write never yields before its
result, so it cancels like any other statement.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.base import Executable

Row = Mapping[str, Any]

# asyncpg writes at once whatever fits in four 32 KiB buffers; a quarter of that is margin.
BATCH_BYTES = 96 * 1024
_ROW_BYTES = 64  # Bind and Execute headers and the statement's name (about 45 bytes measured)
_PARAM_BYTES = 6  # a parameter's length word and format code
_NUMBER_BYTES = 8  # the binary width of int8, float8 and timestamps


def encoded_size(row: Row) -> int:
    """An estimate of a row's bytes on the wire, from above for the values rows here hold:
    text, bytes, numbers, dates, flags and NULL."""
    size = _ROW_BYTES
    for value in row.values():
        if isinstance(value, str):
            size += _PARAM_BYTES + len(value.encode())
        elif isinstance(value, bytes | bytearray):
            size += _PARAM_BYTES + len(value)
        elif value is not None:  # numbers, dates, flags: 8 bytes binary, or their text
            size += _PARAM_BYTES + max(_NUMBER_BYTES, len(str(value)))
        else:
            size += _PARAM_BYTES
    return size


def batches(rows: Sequence[Row], limit: int = BATCH_BYTES) -> Iterator[Sequence[Row]]:
    """Consecutive slices of `rows`, each within `limit` bytes (a larger row goes alone)."""
    start, size = 0, 0
    for i, row in enumerate(rows):
        n = encoded_size(row)
        if i > start and size + n > limit:
            yield rows[start:i]
            start, size = i, 0
        size += n
    if start < len(rows):
        yield rows[start:]


async def execute_many(conn: AsyncConnection, statement: Executable, rows: Sequence[Row]) -> None:
    """Run `statement` once per row, batch by batch, in the caller's transaction."""
    for batch in batches(rows):
        await conn.execute(statement, batch)
