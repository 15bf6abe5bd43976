"""GraphQL over HTTP for the replica: a request's parameters, read within the limits.

A POST carries ``{"query", "variables", "operationName"}`` as JSON, a GET the same in
its query string (``variables`` as JSON text, which some clients also send in POST
bodies). Whatever cannot be answered is refused here as a GraphQL error with status
400, or 413 for a body over the size limit, before any GraphQL work is done.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiohttp import web

from .query_limits import BodyRefused, QueryLimits, load_body


@dataclass(frozen=True)
class GraphQLParams:
    """What a request asks: the document, its variables and the operation to run."""

    query: str
    variables: dict[str, Any] | None
    operation_name: str | None


class Refused(Exception):
    """A request refused before GraphQL saw it.

    Parameters
    ----------
    message : str
        Said to the client as the GraphQL error.
    status : int
        HTTP status of the answer.
    """

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status

    def response(self) -> web.Response:
        """The answer: a GraphQL error in JSON, with :attr:`status`."""
        body = {"data": None, "errors": [{"message": self.message}]}
        return web.json_response(body, status=self.status)


async def read_params(request: web.Request, limits: QueryLimits) -> GraphQLParams:
    """The GraphQL parameters of ``request``.

    Raises
    ------
    Refused
        If the body is over ``limits.max_body_bytes`` (413; a declared length is
        refused unread), is not JSON or nests too deeply, or names no query, or its
        variables are not a JSON object (400).
    """
    if request.method == "POST":
        body = await _post_body(request, limits)
    else:
        body = dict(request.query)
    if not isinstance(body, dict) or not isinstance(body.get("query"), str):
        raise Refused("no query")
    variables = body.get("variables")
    if isinstance(variables, str):
        try:
            variables = load_body(variables, limits, "variables")
        except BodyRefused as refused:
            raise Refused(str(refused)) from None
    if variables is not None and not isinstance(variables, dict):
        raise Refused("variables is not an object")
    operation = body.get("operationName")
    return GraphQLParams(
        body["query"], variables, operation if isinstance(operation, str) else None
    )


async def _post_body(request: web.Request, limits: QueryLimits) -> Any:
    too_large = Refused(f"the request body is larger than {limits.max_body_bytes:,} bytes", 413)
    declared = request.content_length
    if declared is not None and declared > limits.max_body_bytes:
        raise too_large
    try:
        raw = await request.read()  # aiohttp stops reading at its client_max_size
    except web.HTTPRequestEntityTooLarge:
        raise too_large from None
    try:
        return load_body(raw, limits)
    except BodyRefused as refused:
        raise Refused(str(refused)) from None
