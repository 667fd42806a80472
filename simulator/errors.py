"""Errors raised by the simulated Proxmox VE stack.

Models the way PVE tools fail: a message that ends up on stderr and a non-zero
exit status. `PveError` carries the exact text the real tool prints, so the CLI
layer only has to print it. Leaves out: HTTP status codes (the API layer maps
these errors to statuses itself).
"""

from __future__ import annotations


class PveError(Exception):
    """A failure with the real tool's message (printed as is by the shell)."""

    def __init__(self, message: str, exit_code: int = 255) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code


class NoQuorumError(PveError):
    """`check_cfs_quorum` failed on the node that ran the command."""

    def __init__(self) -> None:
        super().__init__("cluster not ready - no quorum?")


NO_QUORUM = "cluster not ready - no quorum?"
