"""The portal's GraphQL schema, as shipped by ``cryoet-data-portal``, and checks against it."""

from __future__ import annotations

import functools
from importlib import resources

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
    """The schema (parsed once: parsing 7,000 lines costs a noticeable fraction of a second)."""
    text = (resources.files("cryoet_data_portal") / "data" / "schema.graphql").read_text()
    return build_schema(text)


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
