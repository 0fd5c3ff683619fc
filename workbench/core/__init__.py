"""The workbench's domain logic, shared by the CLI and the TUI; it never imports a UI."""
