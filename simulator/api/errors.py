"""PVE API errors: the HTTP status, the message (also the reason phrase) and parameter errors.

Models pve-http-server's JSON formatter for failures: `{"data": null,
"message": ..., "errors": {...}}` where `errors` is present only for
parameter errors (400 `Parameter verification failed.`), and
PVE::Exception's `Permission check failed (<path>, <priv>)` (403).
"""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    def __init__(self, status: int, message: str, errors: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"data": None, "message": self.message}
        if self.errors is not None:
            body["errors"] = dict(self.errors)
        return body

    @property
    def reason(self) -> str:
        return self.message


def not_implemented(method: str, path: str) -> ApiError:
    return ApiError(501, f"Method '{method} {path}' not implemented")


def permission_denied(path: str, privilege: str) -> ApiError:
    return ApiError(403, f"Permission check failed ({path}, {privilege})")


def param_error(errors: dict[str, str]) -> ApiError:
    return ApiError(400, "Parameter verification failed.", errors)


def enum_error(param: str, value: str, allowed: list[str]) -> ApiError:
    return param_error({param: f"value '{value}' does not have a value in the enumeration '{', '.join(allowed)}'"})


def no_such_node(node: str) -> ApiError:
    # What pveproxy answers when it cannot resolve a node name to proxy to.
    return ApiError(500, f"hostname lookup '{node}' failed - failed to get address info for: {node}: "
                         "Name or service not known")
