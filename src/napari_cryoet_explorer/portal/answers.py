"""Checks on a GraphQL answer's shape: a list or connection the query asked for is
there, and a node parses as the schema promises; otherwise a
:class:`~.errors.PortalResponseError` naming the endpoint."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from .errors import PortalResponseError

T = TypeVar("T")


def root_list(url: str, data: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    """The list ``data[key]`` of an answer from ``url``."""
    value = data.get(key)
    if not isinstance(value, list):
        raise PortalResponseError(
            f"{url} answered without the {key!r} list the query asked for", url=url
        )
    return value


def connection(url: str, node: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    """The connection ``node[key]`` of an answer from ``url``."""
    value = node.get(key)
    if not isinstance(value, Mapping):
        raise PortalResponseError(
            f"{url} answered without the {key!r} connection the query asked for", url=url
        )
    return value


def parse_list(
    url: str, data: Mapping[str, Any], key: str, parse_node: Callable[[Mapping[str, Any]], T]
) -> list[T]:
    """Each node of the list ``data[key]`` parsed by ``parse_node``."""
    return [guarded(url, parse_node, n) for n in root_list(url, data, key)]


def guarded(url: str, fn: Callable[..., T], *args: Any) -> T:
    """``fn(*args)``, turning a node that lacks what the schema promises into an error."""
    try:
        return fn(*args)
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        raise PortalResponseError(
            f"{url} answered data that does not fit the schema ({type(exc).__name__}: {exc})",
            url=url,
        ) from exc


__all__ = ["connection", "guarded", "parse_list", "root_list"]
