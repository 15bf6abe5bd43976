"""Qt-free client for the CryoET Data Portal's GraphQL API.

:class:`PortalClient` lists the tree (datasets, runs, voxel spacings, tomograms and
annotations) with nested, paged queries, and searches it server-side; the models are
frozen dataclasses. One client per thread (see :func:`thread_client`).
"""

from .client import PortalClient
from .errors import (
    PortalConnectionError,
    PortalError,
    PortalHTTPError,
    PortalNotFoundError,
    PortalResponseError,
    PortalURLError,
)
from .models import (
    Annotation,
    AnnotationFile,
    AnnotationShape,
    Dataset,
    Page,
    Run,
    SearchResult,
    Tomogram,
    VoxelSpacing,
    VoxelSpacingContents,
    files_for_tomogram,
)
from .thread_clients import thread_client
from .transport import RetryPolicy

__all__ = [
    "Annotation",
    "AnnotationFile",
    "AnnotationShape",
    "Dataset",
    "Page",
    "PortalClient",
    "PortalConnectionError",
    "PortalError",
    "PortalHTTPError",
    "PortalNotFoundError",
    "PortalResponseError",
    "PortalURLError",
    "RetryPolicy",
    "Run",
    "SearchResult",
    "Tomogram",
    "VoxelSpacing",
    "VoxelSpacingContents",
    "files_for_tomogram",
    "thread_client",
]
