"""Span rows handed from a decode worker to the writer as one SQLite image, not Python tuples.

The collector has one writer thread, and binding rows from Python is most of its work
per span: 26 parameters a row, each converted and checked while the interpreter lock
is held (the receiver's HTTP waits meanwhile). A decode worker instead inserts its
rows into an in-memory database and sends the image (``serialize``); the writer
loads it into an attached schema (``deserialize``) and copies every row with one
``INSERT ... SELECT`` inside SQLite, which releases the lock. The binding cost moves
to the workers, which run on the other cores. Rows, their order and their conflict
handling are exactly those of inserting the tuples.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from workbench.store.schema.spans import SPAN_COLUMNS

# Whether this Python's SQLite can serialize a database (it can be built without it).
SUPPORTED = hasattr(sqlite3.Connection, "serialize") and hasattr(sqlite3.Connection, "deserialize")
SCHEMA = "staged"
_TABLE = "incoming"  # not "spans": an unqualified name must never find the staged rows
_COLUMNS = ", ".join(SPAN_COLUMNS)
# No declared types: values keep the type they were bound with until the spans table's
# own affinities apply on the copy, as they would for the tuples themselves.
_CREATE = f"CREATE TABLE {_TABLE} ({_COLUMNS})"
_FILL = f"INSERT INTO {_TABLE} VALUES ({', '.join('?' for _ in SPAN_COLUMNS)})"
_COPY = (
    f"INSERT OR REPLACE INTO main.spans ({_COLUMNS}) "
    f"SELECT {_COLUMNS} FROM {SCHEMA}.{_TABLE} ORDER BY rowid"
)


_TRACES = f"SELECT DISTINCT trace_id FROM {SCHEMA}.{_TABLE}"
_SCHEMA_SQL = f"SELECT type, name, sql FROM {SCHEMA}.sqlite_schema"


@dataclass(frozen=True)
class StagedSpans:
    """An in-memory database image holding ``count`` span rows."""

    image: bytes
    count: int


def stage(rows: Sequence[tuple]) -> StagedSpans:
    """The image of a database holding ``rows`` (``SPAN_COLUMNS`` order), in their order."""
    memory = sqlite3.connect(":memory:")
    try:
        memory.execute(_CREATE)
        with memory:
            memory.executemany(_FILL, rows)
        return StagedSpans(memory.serialize(), len(rows))
    finally:
        memory.close()


@lru_cache(maxsize=1)
def _empty_image() -> bytes:
    """A one-page database with no table (a database that never had a page cannot be
    serialized)."""
    memory = sqlite3.connect(":memory:", isolation_level=None)
    try:
        memory.execute("CREATE TABLE placeholder (value)")
        memory.execute("DROP TABLE placeholder")
        memory.execute("VACUUM")
        return memory.serialize()
    finally:
        memory.close()


def attach(conn: sqlite3.Connection) -> None:
    """Give a writer connection the schema images are loaded into, once (SQLite cannot attach
    inside a transaction: the writer does it before a batch's first statement)."""
    attached = {row[1] for row in conn.execute("PRAGMA database_list")}
    if SCHEMA not in attached:
        conn.execute(f"ATTACH DATABASE ':memory:' AS {SCHEMA}")


def copy_staged(conn: sqlite3.Connection, staged: StagedSpans) -> list[str]:
    """Upsert the staged rows into ``spans``, in the caller's transaction (``attach`` first);
    the trace ids they belong to, read from the rows themselves.

    Raises ``sqlite3.DatabaseError`` for an image that is not the staging table holding the
    rows announced, so a damaged one fails its batch instead of being acknowledged."""
    conn.deserialize(staged.image, name=SCHEMA)
    try:
        # A damaged image must fail its batch, never be acknowledged as stored.
        if conn.execute(_SCHEMA_SQL).fetchall() != [("table", _TABLE, _CREATE)]:
            raise sqlite3.DatabaseError("a staged batch is not the staging table")
        copied = conn.execute(_COPY).rowcount
        if copied != staged.count:
            raise sqlite3.DatabaseError(
                f"a staged batch held {copied} span rows, not the {staged.count} announced"
            )
        return [row[0] for row in conn.execute(_TRACES)]
    finally:
        # Not kept for the writer's lifetime: an export's image can be megabytes.
        conn.deserialize(_empty_image(), name=SCHEMA)


def staged_rows(staged: StagedSpans) -> list[tuple]:
    """The rows an image holds, in their order (to check one, or to read it without a writer)."""
    memory = sqlite3.connect(":memory:")
    try:
        memory.deserialize(staged.image)
        return memory.execute(f"SELECT * FROM {_TABLE} ORDER BY rowid").fetchall()
    finally:
        memory.close()
