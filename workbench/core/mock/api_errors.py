"""Errors the mock answers the way the OpenAI API does: a status and an ``{"error": ...}`` body."""

from __future__ import annotations

from typing import Any

_ERROR_TYPES = {
    400: "invalid_request_error",
    404: "invalid_request_error",
    429: "rate_limit_exceeded",
    500: "server_error",
    503: "service_unavailable",
}


def error_body(
    status: int, message: str, code: str | None = None, param: str | None = None
) -> dict[str, Any]:
    """An OpenAI-style error object: ``{"error": {message, type, param, code}}``."""
    kind = _ERROR_TYPES.get(status, "server_error" if status >= 500 else "invalid_request_error")
    return {"error": {"message": message, "type": kind, "param": param, "code": code}}


class ApiError(Exception):
    """A request the API would refuse; ``status`` and ``body()`` are what the client receives."""

    def __init__(
        self, message: str, *, param: str | None = None, code: str | None = None, status: int = 400
    ) -> None:
        super().__init__(message)
        self.message, self.param, self.code, self.status = message, param, code, status

    def body(self) -> dict[str, Any]:
        """The JSON error body."""
        return error_body(self.status, self.message, self.code, self.param)


def missing(param: str) -> ApiError:
    """``Missing required parameter: 'param'.``"""
    return ApiError(
        f"Missing required parameter: '{param}'.", param=param, code="missing_required_parameter"
    )


def invalid_type(param: str, expected: str, value: Any) -> ApiError:
    """A parameter of the wrong JSON type."""
    got = _json_type(value)
    return ApiError(
        f"Invalid type for '{param}': expected {expected}, but got {got} instead.",
        param=param,
        code="invalid_type",
    )


def invalid_value(param: str, value: Any, supported: tuple[str, ...]) -> ApiError:
    """A value outside a fixed set of choices."""
    listed = ", ".join(f"'{s}'" for s in supported[:-1]) + f", and '{supported[-1]}'"
    if len(supported) == 1:
        listed = f"'{supported[0]}'"
    return ApiError(
        f"Invalid value: '{value}'. Supported values are: {listed}.",
        param=param,
        code="invalid_value",
    )


def out_of_range(param: str, value: Any, low: float | None, high: float | None) -> ApiError:
    """A number below ``low`` or above ``high``."""
    if low is not None and value < low:
        return ApiError(
            f"Invalid '{param}': {_kind(value)} below minimum value. Expected a value >= "
            f"{low:g}, but got {value} instead.",
            param=param,
            code=f"{_kind(value)}_below_min_value",
        )
    return ApiError(
        f"Invalid '{param}': {_kind(value)} above maximum value. Expected a value <= "
        f"{high:g}, but got {value} instead.",
        param=param,
        code=f"{_kind(value)}_above_max_value",
    )


def model_not_found(model: str) -> ApiError:
    """The 404 the API answers for a model it does not serve."""
    return ApiError(
        f"The model `{model}` does not exist or you do not have access to it.",
        code="model_not_found",
        status=404,
    )


def _kind(value: Any) -> str:
    return "integer" if isinstance(value, int) and not isinstance(value, bool) else "decimal"


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a decimal"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"
