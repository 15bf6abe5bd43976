"""What the metadata panel shows of one node, fetched in one nested request.

One query per node kind selects the node's scalars and the relations its sections
need: a dataset with its authors, funding and deposition; a run with its tilt series
and dataset; a tomogram with its alignment, authors and the run's voxel spacings; an
annotation with its authors, method links, shapes and files, and deposition; a
deposition with its authors and types. The answer is the node as GraphQL returns it,
which :func:`~napari_cryoet_explorer.portal.sections.sections_for` reads.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from .client import PortalClient
from .depositions import Deposition
from .errors import PortalNotFoundError, PortalResponseError
from .models import Annotation, Dataset, Run, Tomogram
from .schema import checked, selection

# Enough for any one node's authors, links, shapes or files; a connection page.
MANY = 500


def _connection(name: str, type_name: str, order: str = "") -> str:
    """``name(first: MANY) { edges { node { <scalars> } } }``, ordered if asked."""
    order_by = f", orderBy: [{{{order}: asc}}]" if order else ""
    return f"{name}(first: {MANY}{order_by}) {{ edges {{ node {{ {selection(type_name)} }} }} }}"


def _authors(type_name: str) -> str:
    return _connection("authors", type_name, "authorListOrder")


@functools.cache
def _deposition() -> str:
    return f"""deposition {{
      {selection("Deposition")}
      {_authors("DepositionAuthor")}
      depositionTypes(first: 20) {{ edges {{ node {{ {selection("DepositionType")} }} }} }}
    }}"""


def _by_id(root: str, body: str) -> str:
    return checked(
        f"""
        query Detail($id: Int!) {{
          {root}(where: {{id: {{_eq: $id}}}}) {{
            {body}
          }}
        }}"""
    )


@functools.cache
def dataset_detail() -> str:
    """A dataset with its authors, funding sources and deposition."""
    return _by_id(
        "datasets",
        f"""{selection("Dataset")}
        {_authors("DatasetAuthor")}
        {_connection("fundingSources", "DatasetFunding")}
        {_deposition()}""",
    )


@functools.cache
def run_detail() -> str:
    """A run with its tilt series, its dataset and its voxel spacings."""
    return _by_id(
        "runs",
        f"""{selection("Run")}
        {_connection("tiltseries", "Tiltseries", "id")}
        dataset {{ {selection("Dataset")} }}
        {_connection("tomogramVoxelSpacings", "TomogramVoxelSpacing", "voxelSpacing")}""",
    )


@functools.cache
def tomogram_detail() -> str:
    """A tomogram with its alignment, authors and the voxel spacings of its run."""
    return _by_id(
        "tomograms",
        f"""{selection("Tomogram")}
        alignment {{ {selection("Alignment")} }}
        {_authors("TomogramAuthor")}
        run {{
          id name
          tomogramVoxelSpacings(first: {MANY}, orderBy: [{{voxelSpacing: asc}}]) {{
            edges {{ node {{ id voxelSpacing }} }}
          }}
        }}""",
    )


@functools.cache
def annotation_detail() -> str:
    """An annotation with its authors, method links, shapes and files, and deposition."""
    return _by_id(
        "annotations",
        f"""{selection("Annotation")}
        {_authors("AnnotationAuthor")}
        {_connection("methodLinks", "AnnotationMethodLink", "id")}
        annotationShapes(first: {MANY}, orderBy: [{{id: asc}}]) {{ edges {{ node {{
          {selection("AnnotationShape")}
          {_connection("annotationFiles", "AnnotationFile", "id")}
        }} }} }}
        {_deposition()}""",
    )


@functools.cache
def deposition_detail() -> str:
    """A deposition with its authors and deposition types."""
    return _by_id(
        "depositions",
        f"""{selection("Deposition")}
        {_authors("DepositionAuthor")}
        depositionTypes(first: 20) {{ edges {{ node {{ {selection("DepositionType")} }} }} }}""",
    )


# Model type -> (root field of the answer, query).
_QUERIES = {
    Dataset: ("datasets", dataset_detail),
    Run: ("runs", run_detail),
    Tomogram: ("tomograms", tomogram_detail),
    Annotation: ("annotations", annotation_detail),
    Deposition: ("depositions", deposition_detail),
}


def has_details(model: Any) -> bool:
    """Whether a model's node has details to fetch (voxel spacings have none)."""
    return type(model) in _QUERIES


def fetch_details(client: PortalClient, model: Any) -> Mapping[str, Any]:
    """The detail node of a dataset, run, tomogram, annotation or deposition: one request.

    Parameters
    ----------
    client : PortalClient
        The client (of this thread) to ask.
    model : Dataset, Run, Tomogram, Annotation or Deposition
        The selected node.

    Returns
    -------
    Mapping
        The node as the API answers it, relations as connections.

    Raises
    ------
    TypeError
        ``model`` is of a kind without details.
    PortalNotFoundError
        The portal no longer has the node.
    PortalError
        The request failed; the message names the URL.
    """
    try:
        root, query = _QUERIES[type(model)]
    except KeyError:
        raise TypeError(f"no details for {type(model).__name__}") from None
    return _one(client, root, query(), int(model.id))


def fetch_deposition(client: PortalClient, deposition_id: int) -> Mapping[str, Any]:
    """A deposition's detail node (authors and types): one request."""
    return _one(client, "depositions", deposition_detail(), int(deposition_id))


def _one(client: PortalClient, root: str, query: str, node_id: int) -> Mapping[str, Any]:
    data = client.transport.execute(query, {"id": node_id})
    found = data.get(root)
    if not isinstance(found, list) or not all(isinstance(n, Mapping) for n in found):
        raise PortalResponseError(
            f"{client.url} answered without the {root!r} list the query asked for", url=client.url
        )
    if not found:
        kind = root.removesuffix("s")
        raise PortalNotFoundError(f"no {kind} {node_id} at {client.url}", url=client.url)
    node: Mapping[str, Any] = found[0]
    return node


__all__ = [
    "annotation_detail",
    "dataset_detail",
    "deposition_detail",
    "fetch_deposition",
    "fetch_details",
    "has_details",
    "run_detail",
    "tomogram_detail",
]
