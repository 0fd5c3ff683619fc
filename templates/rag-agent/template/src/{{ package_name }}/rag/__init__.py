"""Retrieval: documents chunked, embedded through litellm, kept in a vector index, searched."""
