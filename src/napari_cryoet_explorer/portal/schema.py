"""The portal's GraphQL schema, as shipped by ``cryoet-data-portal``, and checks against it."""

from __future__ import annotations

import functools
import importlib.util
from pathlib import Path

from graphql import (
    GraphQLEnumType,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    build_schema,
    get_named_type,
    parse,
    validate,
)

from .errors import PortalError


@functools.cache
def portal_schema() -> GraphQLSchema:
    """The schema shipped with ``cryoet-data-portal``, parsed once per process.

    Parsing its 7,000 lines takes about half a second; the file is located without
    importing the client package, whose import costs as much again.
    """
    spec = importlib.util.find_spec("cryoet_data_portal")
    if spec is None or not spec.submodule_search_locations:
        raise PortalError("the cryoet-data-portal package is not installed")
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / "schema.graphql"
    return build_schema(path.read_text(encoding="utf-8"))


@functools.cache
def default_url() -> str:
    """The public portal's GraphQL endpoint, as the client package names it."""
    from cryoet_data_portal._client import DEFAULT_URL

    return str(DEFAULT_URL)


@functools.cache
def scalar_fields(type_name: str) -> tuple[str, ...]:
    """Every scalar and enum field of a GraphQL object type, except the global ``_id``."""
    gql_type = portal_schema().get_type(type_name)
    if not isinstance(gql_type, GraphQLObjectType):
        raise KeyError(type_name)
    return tuple(
        name
        for name, f in gql_type.fields.items()
        if name != "_id" and isinstance(get_named_type(f.type), GraphQLScalarType | GraphQLEnumType)
    )


def selection(type_name: str) -> str:
    """The scalar fields of a type, space separated, for a selection set."""
    return " ".join(scalar_fields(type_name))


@functools.cache
def checked(query: str) -> str:
    """Return ``query`` after validating it against the schema (once per distinct text)."""
    errors = validate(portal_schema(), parse(query))
    if errors:
        raise PortalError(f"query does not fit the portal schema: {errors[0].message}")
    return query
