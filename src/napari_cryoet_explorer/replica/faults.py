"""Scripted answers for fault tests: what a real portal or its gateway sometimes sends.

``ReplicaServer.script`` takes a list of :class:`Fault`; each request consumes the first
one instead of its normal answer (GraphQL requests only), until the list is empty.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Fault:
    """One scripted answer.

    Attributes
    ----------
    status : int
        HTTP status to answer with.
    body : bytes
        Body to send (not necessarily JSON: gateways answer HTML).
    content_type : str
        Content type of the body.
    reset : bool
        Close the connection without answering, as a crashed gateway does.
    headers : tuple of (str, str)
        Extra headers, e.g. ``("Retry-After", "2")``.
    """

    status: int = 200
    body: bytes = b""
    content_type: str = "application/json"
    reset: bool = False
    headers: tuple[tuple[str, str], ...] = ()
