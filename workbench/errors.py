"""The errors the workbench raises for things a user can fix, each with a one-line message."""

from __future__ import annotations


class WorkbenchError(Exception):
    """A problem the user can fix; the CLI prints its message on one line and exits."""

    exit_code = 2

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ProjectNotFound(WorkbenchError):
    """The PROJECT argument names neither a project folder nor a folder under projects/."""


class InvalidName(WorkbenchError):
    """A project or package name that cannot be used."""


class TargetExists(WorkbenchError):
    """A folder would be overwritten without --force."""


class ConfigError(WorkbenchError):
    """A configuration file is unreadable or invalid; the message names file and line."""


class TemplateError(WorkbenchError):
    """A template is missing or failed to render."""


class NotFound(WorkbenchError):
    """A stored object (trace, run, item) the user named does not exist."""


class ModelError(WorkbenchError):
    """A model is unreachable or misconfigured."""


class CheckFailed(WorkbenchError):
    """A gate or checklist did not pass; the message summarises why."""

    exit_code = 1
