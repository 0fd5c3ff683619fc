"""The workbench's SQLite store: one file, WAL mode, migrations applied on open."""
