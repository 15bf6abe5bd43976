"""What the engine needs to know about the portal schema, read from the schema itself.

Entity types are the item types of the root list fields (``datasets: [Dataset!]!``).
For each one: its scalar fields, its to-one relationships (``Run.dataset`` through
``Run.datasetId``), its to-many connections (``Dataset.runs``, through the child's key
pointing back at the parent) and their ``...Aggregate`` siblings.

The served schema announces the directives the public portal's server announces
(graphql-core 3.2's), so that clients on graphql-core 3.2 can build a schema from the
replica's introspection answer (see :func:`with_portal_directives`).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from importlib import resources

from graphql import (
    DEFAULT_DEPRECATION_REASON,
    DirectiveLocation,
    GraphQLArgument,
    GraphQLDefaultInput,
    GraphQLDeprecatedDirective,
    GraphQLDirective,
    GraphQLEnumType,
    GraphQLField,
    GraphQLIncludeDirective,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLSkipDirective,
    GraphQLSpecifiedByDirective,
    GraphQLString,
    GraphQLType,
    build_schema,
    get_named_type,
)

DATETIME = "DateTime"


# @deprecated as graphql-core 3.2 defines it. 3.3 adds the location DIRECTIVE_DEFINITION,
# which 3.2's DirectiveLocation lacks: its build_client_schema then fails with
# "deprecated locations must be specified as a collection of DirectiveLocation enum
# values". (3.3 also makes `reason` non-null; 3.2 keeps it nullable.)
_DEPRECATED_32 = GraphQLDirective(
    name="deprecated",
    locations=[
        DirectiveLocation.FIELD_DEFINITION,
        DirectiveLocation.ARGUMENT_DEFINITION,
        DirectiveLocation.INPUT_FIELD_DEFINITION,
        DirectiveLocation.ENUM_VALUE,
    ],
    args={
        "reason": GraphQLArgument(
            GraphQLString,
            description=GraphQLDeprecatedDirective.args["reason"].description,
            default=GraphQLDefaultInput(value=DEFAULT_DEPRECATION_REASON),
        )
    },
    description=GraphQLDeprecatedDirective.description,
)
# The directives graphql-core 3.2 specifies (it has no @oneOf), in its order.
PORTAL_DIRECTIVES: tuple[GraphQLDirective, ...] = (
    GraphQLIncludeDirective,
    GraphQLSkipDirective,
    _DEPRECATED_32,
    GraphQLSpecifiedByDirective,
)


def with_portal_directives(schema: GraphQLSchema) -> GraphQLSchema:
    """``schema`` announcing :data:`PORTAL_DIRECTIVES` instead of graphql-core 3.3's.

    Only the directives announced by introspection change: none of them is used in
    queries other than ``@include`` and ``@skip``, which stay as they are, and the
    schema declares no ``@oneOf`` input types.
    """
    kwargs = schema.to_kwargs()
    kwargs["directives"] = PORTAL_DIRECTIVES
    return GraphQLSchema(**kwargs)


@functools.cache
def portal_schema() -> GraphQLSchema:
    """The GraphQL schema shipped inside the ``cryoet-data-portal`` package (parsed once),
    with the directives the public portal announces."""
    text = (resources.files("cryoet_data_portal") / "data" / "schema.graphql").read_text()
    return with_portal_directives(build_schema(text))


@dataclass(frozen=True)
class ToOne:
    """A to-one relationship: ``row[key]`` is the target's id, or, when the row has no
    such key, the target's ``back_key`` holds the row's id (a reverse one-to-one)."""

    field: str
    target: str
    key: str | None
    back_key: str | None


@dataclass(frozen=True)
class ToMany:
    """A to-many relationship: children of type ``child`` whose ``back_key`` is the
    parent's id (None when the schema names no such key: no children)."""

    field: str
    child: str
    back_key: str | None


@dataclass
class Entity:
    """The relationships and scalar types of one entity type."""

    name: str
    scalars: dict[str, str] = field(default_factory=dict)
    to_one: dict[str, ToOne] = field(default_factory=dict)
    to_many: dict[str, ToMany] = field(default_factory=dict)
    aggregates: dict[str, ToMany] = field(default_factory=dict)
    enum_ranks: dict[str, dict[str, int]] = field(default_factory=dict)


@dataclass(frozen=True)
class RootField:
    """A root ``Query`` field: a list of entities or their aggregate."""

    kind: str  # "list" or "aggregate"
    entity: str


def _unwrap(gql_type: GraphQLType) -> GraphQLType:
    while isinstance(gql_type, GraphQLNonNull):
        gql_type = gql_type.of_type
    return gql_type


def _is_list(gql_field: GraphQLField) -> bool:
    return isinstance(_unwrap(gql_field.type), GraphQLList)


def _lower_first(name: str) -> str:
    return name[:1].lower() + name[1:]


class SchemaModel:
    """Entities and root fields of a portal-style schema.

    Parameters
    ----------
    schema : GraphQLSchema
        A schema whose ``Query`` has ``<things>(where, orderBy, limitOffset)`` list
        fields and ``<things>Aggregate(where)`` fields.
    """

    def __init__(self, schema: GraphQLSchema) -> None:
        self.schema = schema
        query = schema.query_type
        assert query is not None
        self.roots: dict[str, RootField] = {}
        for name, root in query.fields.items():
            target = get_named_type(root.type)
            if _is_list(root) and isinstance(target, GraphQLObjectType):
                self.roots[name] = RootField("list", target.name)
            elif isinstance(target, GraphQLObjectType) and "aggregate" in target.fields:
                self.roots[name] = RootField("aggregate", self._aggregated(target.name))
        listed = {r.entity for r in self.roots.values() if r.kind == "list"}
        self.entities: dict[str, Entity] = {name: self._entity(name) for name in listed}

    def object_type(self, name: str) -> GraphQLObjectType:
        """The object type called ``name``."""
        gql_type = self.schema.get_type(name)
        if not isinstance(gql_type, GraphQLObjectType):
            raise KeyError(f"no object type {name}")
        return gql_type

    def entity(self, name: str) -> Entity:
        """The entity called ``name``.

        Raises
        ------
        KeyError
            If ``name`` is not an entity type.
        """
        return self.entities[name]

    def _aggregated(self, aggregate_type: str) -> str:
        # FooAggregate -> Foo; the schema names them so and the functions type agrees.
        return aggregate_type.removesuffix("Aggregate")

    def _connection_child(self, connection: GraphQLObjectType) -> str:
        edge = get_named_type(connection.fields["edges"].type)
        assert isinstance(edge, GraphQLObjectType)
        return get_named_type(edge.fields["node"].type).name

    def _entity(self, name: str) -> Entity:
        gql_type = self.object_type(name)
        entity = Entity(name)
        for fname, gql_field in gql_type.fields.items():
            named = get_named_type(gql_field.type)
            if not isinstance(named, GraphQLObjectType):
                entity.scalars[fname] = named.name
                if isinstance(named, GraphQLEnumType):
                    entity.enum_ranks[fname] = {v: i for i, v in enumerate(named.values)}
            elif "edges" in named.fields:
                child = self._connection_child(named)
                entity.to_many[fname] = ToMany(fname, child, self._back_key(child, name, fname))
            elif "aggregate" in named.fields:
                child = self._aggregated(named.name)
                connection = fname.removesuffix("Aggregate")
                back = self._back_key(child, name, connection)
                entity.aggregates[fname] = ToMany(connection, child, back)
            elif not _is_list(gql_field):
                key = f"{fname}Id" if f"{fname}Id" in gql_type.fields else None
                back = None if key else self._back_key(named.name, name, fname)
                entity.to_one[fname] = ToOne(fname, named.name, key, back)
        return entity

    def _back_key(self, child: str, parent: str, via: str) -> str | None:
        """The key of ``child`` that holds the id of its ``parent`` (reached by ``via``).

        When the child has several to-one fields of the parent's type, prefer the one
        named like the parent's field (``sources`` -> ``source``), then the longest
        one that starts the field's name (``targetRuns`` -> ``target``), then the one
        named like the parent type, then the first in schema order.
        """
        fields = self.object_type(child).fields
        candidates = [
            fname
            for fname, f in fields.items()
            if not _is_list(f) and get_named_type(f.type).name == parent and f"{fname}Id" in fields
        ]
        if not candidates:
            return None
        singular = via.removesuffix("s")

        def rank(name: str) -> tuple[int, int]:
            if name == singular:
                return (0, 0)
            if via.startswith(name):
                return (1, -len(name))
            if name == _lower_first(parent):
                return (2, 0)
            return (3, 0)

        return f"{min(candidates, key=rank)}Id"


@functools.cache
def portal_model() -> SchemaModel:
    """The :class:`SchemaModel` of :func:`portal_schema` (built once)."""
    return SchemaModel(portal_schema())
