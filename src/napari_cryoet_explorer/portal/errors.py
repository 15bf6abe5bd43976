"""Errors of the portal client; every message names the URL it concerns."""

from __future__ import annotations


class PortalError(Exception):
    """Base class of the portal client's errors.

    Parameters
    ----------
    message : str
        What went wrong, naming the URL.
    url : str, optional
        The GraphQL endpoint concerned.
    """

    def __init__(self, message: str, *, url: str | None = None) -> None:
        super().__init__(message)
        self.url = url


class PortalURLError(PortalError):
    """The URL is not a GraphQL endpoint: malformed, or the server has no such path."""

    def __init__(self, message: str, *, url: str | None = None, status: int | None = None) -> None:
        super().__init__(message, url=url)
        self.status = status


class PortalConnectionError(PortalError):
    """The server could not be reached (refused, unresolvable, reset or timed out)."""


class PortalHTTPError(PortalError):
    """The server answered with an HTTP error that retrying did not cure."""

    def __init__(self, message: str, *, url: str | None = None, status: int) -> None:
        super().__init__(message, url=url)
        self.status = status


class PortalResponseError(PortalError):
    """The answer does not fit the schema: not JSON, GraphQL errors, or missing data."""


class PortalNotFoundError(PortalError):
    """The portal has no such dataset, run or voxel spacing."""


class PortalTimeoutError(PortalConnectionError):
    """The server did not answer, or not whole, within the time allowed (a request's
    timeout, or the call's deadline across its retries); says which limit to raise."""


class PortalTooLargeError(PortalResponseError):
    """The answer is larger than the cap on GraphQL answers; reading stopped at the cap.

    Attributes
    ----------
    received : int
        Bytes read before stopping (0 when the announced size was refused).
    """

    def __init__(self, message: str, *, url: str | None = None, received: int = 0) -> None:
        super().__init__(message, url=url)
        self.received = received


class PortalCancelled(PortalError):
    """The call was cancelled while it waited for the server (see ``Call.cancel``)."""
