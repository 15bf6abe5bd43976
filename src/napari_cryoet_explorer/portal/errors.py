"""Errors of the portal client; every message names the URL it concerns."""

from __future__ import annotations


class PortalError(Exception):
    """Base class of the portal client's errors."""


class PortalConnectionError(PortalError):
    """The server could not be reached (refused, unresolvable, timed out)."""


class PortalHTTPError(PortalError):
    """The server answered with an HTTP error that retrying did not cure."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class PortalResponseError(PortalError):
    """The answer is not a GraphQL answer that fits the schema."""
