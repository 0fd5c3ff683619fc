"""The embedded index: sqlite-vec in one SQLite file next to the state database.

SQLite comes from `sqlean.py`, a build of SQLite that may load extensions on every
platform (the python.org and some distribution builds of `sqlite3` may not). Chunks and
collections are ordinary tables; each collection's vectors are a `vec0` virtual table
with cosine distance, whose rowids are the chunks' rowids.
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from pathlib import Path

import sqlean
import sqlite_vec

from ...infra.state.sqlite import enable_wal
from ..chunking import Chunk
from .base import Hit, StoredCollection, table_suffix

SCHEMA = """
CREATE TABLE IF NOT EXISTS rag_collections (
    name TEXT NOT NULL, space TEXT NOT NULL, dimensions INTEGER NOT NULL,
    digest TEXT NOT NULL, chunks INTEGER NOT NULL, updated_at TEXT NOT NULL,
    PRIMARY KEY (name, space)
);
CREATE TABLE IF NOT EXISTS rag_chunks (
    rowid INTEGER PRIMARY KEY, collection TEXT NOT NULL, chunk_id TEXT NOT NULL,
    source TEXT NOT NULL, title TEXT NOT NULL, text TEXT NOT NULL, digest TEXT NOT NULL,
    position INTEGER NOT NULL, UNIQUE (collection, chunk_id)
);
"""


class SqliteVecIndex:
    """A sqlite-vec index in the file `path` (created on first use)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        # Used from worker threads one at a time (the lock), never concurrently.
        self._db = sqlean.connect(str(path), check_same_thread=False, timeout=30.0)
        self._db.enable_load_extension(True)
        sqlite_vec.load(self._db)
        self._db.enable_load_extension(False)
        with self._lock, self._db:
            enable_wal(self._db, sqlean.OperationalError)
            self._db.executescript(SCHEMA)

    def collection(self, name: str, space: str) -> StoredCollection | None:
        """The stored collection, or None."""
        with self._lock:
            row = self._db.execute(
                "SELECT dimensions, digest, chunks FROM rag_collections "
                "WHERE name = ? AND space = ?",
                (name, space),
            ).fetchone()
        return StoredCollection(name, space, row[0], row[1], row[2]) if row else None

    def vectors_by_digest(self, name: str, space: str) -> dict[str, list[float]]:
        """Stored vectors keyed by chunk digest."""
        suffix = table_suffix(name, space)
        with self._lock:
            if not self._has_table(f"rag_vec_{suffix}"):
                return {}
            rows = self._db.execute(
                f"SELECT c.digest, vec_to_json(v.embedding) FROM rag_chunks c "
                f"JOIN rag_vec_{suffix} v ON v.rowid = c.rowid WHERE c.collection = ?",
                (suffix,),
            ).fetchall()
        return {digest: json.loads(vector) for digest, vector in rows}

    def replace(
        self, name: str, space: str, digest: str, chunks: list[Chunk], vectors: list[list[float]]
    ) -> None:
        """Make the collection exactly `chunks`, in one transaction."""
        suffix = table_suffix(name, space)
        dimensions = len(vectors[0]) if vectors else 0
        table = f"rag_vec_{suffix}"
        with self._lock, self._db:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.execute(f"DROP TABLE IF EXISTS {table}")
            self._db.execute(
                f"CREATE VIRTUAL TABLE {table} USING "
                f"vec0(embedding float[{max(dimensions, 1)}] distance_metric=cosine)"
            )
            self._db.execute("DELETE FROM rag_chunks WHERE collection = ?", (suffix,))
            for chunk, vector in zip(chunks, vectors, strict=True):
                rowid = self._db.execute(
                    "INSERT INTO rag_chunks (collection, chunk_id, source, title, text, digest,"
                    " position) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        suffix,
                        chunk.id,
                        chunk.source,
                        chunk.title,
                        chunk.text,
                        chunk.digest,
                        chunk.position,
                    ),
                ).lastrowid
                self._db.execute(
                    f"INSERT INTO {table} (rowid, embedding) VALUES (?, ?)",
                    (rowid, sqlite_vec.serialize_float32(vector)),
                )
            self._db.execute(
                "INSERT OR REPLACE INTO rag_collections VALUES (?, ?, ?, ?, ?, ?)",
                (name, space, dimensions, digest, len(chunks), datetime.now(UTC).isoformat()),
            )

    def search(self, name: str, space: str, vector: list[float], top_k: int) -> list[Hit]:
        """The `top_k` nearest chunks by cosine distance."""
        suffix = table_suffix(name, space)
        table = f"rag_vec_{suffix}"
        with self._lock:
            if not self._has_table(table):
                return []
            rows = self._db.execute(
                f"SELECT c.chunk_id, c.source, c.title, c.text, c.position, v.distance "
                f"FROM (SELECT rowid, distance FROM {table} WHERE embedding MATCH ? AND k = ?) v "
                f"JOIN rag_chunks c ON c.rowid = v.rowid ORDER BY v.distance, c.position",
                (sqlite_vec.serialize_float32(vector), top_k),
            ).fetchall()
        return [
            Hit(Chunk(chunk_id, source, title, text, position), 1.0 - float(distance))
            for chunk_id, source, title, text, position, distance in rows
        ]

    def _has_table(self, table: str) -> bool:
        row = self._db.execute(
            "SELECT 1 FROM sqlite_master WHERE name = ? AND type = 'table'", (table,)
        ).fetchone()
        return row is not None

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._db.close()
