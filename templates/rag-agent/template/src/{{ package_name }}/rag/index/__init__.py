"""The vector index behind one interface: sqlite-vec (embedded) or pgvector (server)."""

from __future__ import annotations

from ..settings import RagSettings
from .base import Hit, StoredCollection, VectorIndex

__all__ = ["Hit", "StoredCollection", "VectorIndex", "close_indexes", "get_index"]

_open: dict[tuple[str, str], VectorIndex] = {}


def get_index(rag: RagSettings) -> VectorIndex:
    """The index the settings name, opened once per process and location."""
    where = (rag.database_url or "") if rag.index == "pgvector" else str(rag.sqlite_path())
    key = (rag.index, where)
    if key not in _open:
        if rag.index == "pgvector":
            from .pgvector import PgVectorIndex

            _open[key] = PgVectorIndex(where)
        else:
            from .sqlite_vec import SqliteVecIndex

            _open[key] = SqliteVecIndex(rag.sqlite_path())
    return _open[key]


def close_indexes() -> None:
    """Close every open index (tests, shutdown)."""
    for index in _open.values():
        index.close()
    _open.clear()
