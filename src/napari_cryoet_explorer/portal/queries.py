"""Nested GraphQL queries: one request per page of children, never one per child.

Every query selects the full set of scalar fields of each type (taken from the
schema) and is validated against the schema before it is first sent.
"""

from __future__ import annotations

import functools

from .schema import checked, selection

COUNT = "{ aggregate { count } }"


@functools.cache
def dataset_fragment() -> str:
    """``DatasetFields``: a dataset's scalars, its run count and its annotated objects."""
    return f"""
    fragment DatasetFields on Dataset {{
      {selection("Dataset")}
      runsAggregate {COUNT}
      objects: runsAggregate {{ aggregate {{ count groupBy {{ annotations {{ objectName }} }} }} }}
    }}"""


@functools.cache
def run_fragment() -> str:
    """``RunFields``: a run's scalars, voxel spacings, counts, annotated objects and tilt
    series (a run has one, or a few for a mosaic: they come with the run)."""
    return f"""
    fragment RunFields on Run {{
      {selection("Run")}
      tomogramVoxelSpacings(first: 100, orderBy: [{{voxelSpacing: asc}}]) {{
        edges {{ node {{
          {selection("TomogramVoxelSpacing")}
          tomogramsAggregate {COUNT}
        }} }}
      }}
      tomogramsAggregate {COUNT}
      annotationsAggregate {COUNT}
      objects: annotationsAggregate {{ aggregate {{ count groupBy {{ objectName }} }} }}
      tiltseries(first: 20, orderBy: [{{id: asc}}]) {{
        edges {{ node {{ {selection("Tiltseries")} }} }}
      }}
    }}"""


@functools.cache
def datasets_page(with_total: bool) -> str:
    """A page of datasets (id order) with run counts; on the first page, the total too."""
    total = f"total: datasetsAggregate(where: $where) {COUNT}" if with_total else ""
    return checked(
        f"""
        query Datasets($where: DatasetWhereClause, $limit: Int!, $offset: Int!) {{
          datasets(where: $where, orderBy: [{{id: asc}}],
                   limitOffset: {{limit: $limit, offset: $offset}}) {{ ...DatasetFields }}
          {total}
        }}
        {dataset_fragment()}"""
    )


@functools.cache
def runs_page(with_total: bool) -> str:
    """A page of runs (name order) with voxel spacings and counts; the total on the first."""
    total = f"total: runsAggregate(where: $where) {COUNT}" if with_total else ""
    return checked(
        f"""
        query Runs($where: RunWhereClause, $limit: Int!, $offset: Int!) {{
          runs(where: $where, orderBy: [{{name: asc}}, {{id: asc}}],
               limitOffset: {{limit: $limit, offset: $offset}}) {{ ...RunFields }}
          {total}
        }}
        {run_fragment()}"""
    )


@functools.cache
def voxel_spacing_contents() -> str:
    """A voxel spacing, a page of its tomograms and a page of its annotation files.

    Each file comes with its shape and annotation, so the annotations of the run at
    this voxel spacing arrive in the same request. The ``with*`` flags and cursors
    fetch further pages of one connection alone (rarely needed: a voxel spacing has a
    few tomograms and tens of files).
    """
    page_info = "pageInfo { hasNextPage endCursor }"
    return checked(
        f"""
        query VoxelSpacingContents(
          $id: Int!, $first: Int!,
          $withTomograms: Boolean!, $tomogramsAfter: String,
          $withFiles: Boolean!, $filesAfter: String
        ) {{
          tomogramVoxelSpacings(where: {{id: {{_eq: $id}}}}) {{
            {selection("TomogramVoxelSpacing")}
            tomogramsAggregate {COUNT}
            tomograms(first: $first, after: $tomogramsAfter, orderBy: [{{id: asc}}])
                @include(if: $withTomograms) {{
              {page_info}
              edges {{ node {{ {selection("Tomogram")} }} }}
            }}
            annotationFiles(first: $first, after: $filesAfter, orderBy: [{{id: asc}}])
                @include(if: $withFiles) {{
              {page_info}
              edges {{ node {{
                {selection("AnnotationFile")}
                annotationShape {{
                  {selection("AnnotationShape")}
                  annotation {{
                    {selection("Annotation")}
                    authors(first: 50, orderBy: [{{authorListOrder: asc}}]) {{
                      edges {{ node {{ name orcid }} }}
                    }}
                  }}
                }}
              }} }}
            }}
          }}
        }}"""
    )
