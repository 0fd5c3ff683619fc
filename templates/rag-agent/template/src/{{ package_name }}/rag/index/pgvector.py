"""The server index: PostgreSQL with pgvector, shared by every replica of the service.

Each collection's chunks and vectors are one table with an HNSW index for cosine
distance. A collection is replaced in one transaction under an advisory lock, so replicas
that ingest at the same moment take turns and searches see the old or the new corpus.
"""

from __future__ import annotations

import zlib
from datetime import UTC, datetime

from psycopg_pool import ConnectionPool

from ..chunking import Chunk
from .base import Hit, StoredCollection, table_suffix

SCHEMA = """
CREATE EXTENSION IF NOT EXISTS vector;
CREATE TABLE IF NOT EXISTS rag_collections (
    name TEXT NOT NULL, space TEXT NOT NULL, dimensions INTEGER NOT NULL,
    digest TEXT NOT NULL, chunks INTEGER NOT NULL, updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (name, space)
);
"""


def _vector(values: list[float]) -> str:
    return "[" + ",".join(repr(float(v)) for v in values) + "]"


class PgVectorIndex:
    """A pgvector index in the database at `url` (the extension is created if allowed)."""

    def __init__(self, url: str) -> None:
        self._pool = ConnectionPool(url, min_size=1, max_size=4, open=True, timeout=10.0)
        with self._pool.connection() as conn:
            conn.execute(f"SELECT pg_advisory_xact_lock({zlib.crc32(b'rag-schema')})")
            conn.execute(SCHEMA)

    def collection(self, name: str, space: str) -> StoredCollection | None:
        """The stored collection, or None."""
        with self._pool.connection() as conn:
            row = conn.execute(
                "SELECT dimensions, digest, chunks FROM rag_collections "
                "WHERE name = %s AND space = %s",
                (name, space),
            ).fetchone()
        return StoredCollection(name, space, row[0], row[1], row[2]) if row else None

    def vectors_by_digest(self, name: str, space: str) -> dict[str, list[float]]:
        """Stored vectors keyed by chunk digest."""
        table = f"rag_chunks_{table_suffix(name, space)}"
        with self._pool.connection() as conn:
            if not self._has_table(conn, table):
                return {}
            rows = conn.execute(f"SELECT digest, embedding::text FROM {table}").fetchall()
        return {digest: [float(v) for v in text.strip("[]").split(",")] for digest, text in rows}

    def replace(
        self, name: str, space: str, digest: str, chunks: list[Chunk], vectors: list[list[float]]
    ) -> None:
        """Make the collection exactly `chunks`, in one transaction."""
        table = f"rag_chunks_{table_suffix(name, space)}"
        dimensions = len(vectors[0]) if vectors else 1
        with self._pool.connection() as conn, conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (zlib.crc32(table.encode()),))
            conn.execute(f"DROP TABLE IF EXISTS {table}")
            conn.execute(
                f"CREATE TABLE {table} (chunk_id TEXT PRIMARY KEY, source TEXT NOT NULL,"
                f" title TEXT NOT NULL, text TEXT NOT NULL, digest TEXT NOT NULL,"
                f" position INTEGER NOT NULL, embedding vector({dimensions}) NOT NULL)"
            )
            with conn.cursor() as cursor:
                cursor.executemany(
                    f"INSERT INTO {table} VALUES (%s, %s, %s, %s, %s, %s, %s::vector)",
                    [
                        (c.id, c.source, c.title, c.text, c.digest, c.position, _vector(v))
                        for c, v in zip(chunks, vectors, strict=True)
                    ],
                )
            conn.execute(f"CREATE INDEX ON {table} USING hnsw (embedding vector_cosine_ops)")
            conn.execute(
                "INSERT INTO rag_collections VALUES (%s, %s, %s, %s, %s, %s) "
                "ON CONFLICT (name, space) DO UPDATE SET dimensions = EXCLUDED.dimensions,"
                " digest = EXCLUDED.digest, chunks = EXCLUDED.chunks,"
                " updated_at = EXCLUDED.updated_at",
                (name, space, dimensions, digest, len(chunks), datetime.now(UTC)),
            )

    def search(self, name: str, space: str, vector: list[float], top_k: int) -> list[Hit]:
        """The `top_k` nearest chunks by cosine distance."""
        table = f"rag_chunks_{table_suffix(name, space)}"
        with self._pool.connection() as conn:
            if not self._has_table(conn, table):
                return []
            rows = conn.execute(
                f"SELECT chunk_id, source, title, text, position, embedding <=> %s::vector AS d"
                f" FROM {table} ORDER BY d, position LIMIT %s",
                (_vector(vector), top_k),
            ).fetchall()
        return [
            Hit(Chunk(chunk_id, source, title, text, position), 1.0 - float(distance))
            for chunk_id, source, title, text, position, distance in rows
        ]

    @staticmethod
    def _has_table(conn, table: str) -> bool:
        return conn.execute("SELECT to_regclass(%s)", (table,)).fetchone()[0] is not None

    def close(self) -> None:
        """Close the pool."""
        self._pool.close()
