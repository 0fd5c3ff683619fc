"""Adopting an existing agent repository: ``workbench init`` (detect, ask, write)."""
