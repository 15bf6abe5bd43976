"""Nested GraphQL queries: one request per page of children, never one per child."""

from __future__ import annotations

from .schema import checked, selection


def datasets_page(with_total: bool) -> str:
    """A page of datasets with their run counts (and, on the first page, the total)."""
    total = "total: datasetsAggregate(where: $where) { aggregate { count } }" if with_total else ""
    return checked(
        f"""
        query Datasets($where: DatasetWhereClause, $limit: Int!, $offset: Int!) {{
          datasets(where: $where, orderBy: [{{id: asc}}],
                   limitOffset: {{limit: $limit, offset: $offset}}) {{
            {selection("Dataset")}
            runsAggregate {{ aggregate {{ count }} }}
          }}
          {total}
        }}"""
    )


def runs_page(with_total: bool) -> str:
    """A page of runs with voxel spacings, tomogram/annotation counts and tilt-series quality."""
    total = "total: runsAggregate(where: $where) { aggregate { count } }" if with_total else ""
    return checked(
        f"""
        query Runs($where: RunWhereClause, $limit: Int!, $offset: Int!) {{
          runs(where: $where, orderBy: [{{name: asc}}, {{id: asc}}],
               limitOffset: {{limit: $limit, offset: $offset}}) {{
            {selection("Run")}
            tomogramVoxelSpacings(first: 100, orderBy: [{{voxelSpacing: asc}}]) {{
              edges {{ node {{
                {selection("TomogramVoxelSpacing")}
                tomogramsAggregate {{ aggregate {{ count }} }}
              }} }}
            }}
            tomogramsAggregate {{ aggregate {{ count }} }}
            annotationsAggregate {{ aggregate {{ count }} }}
            tiltseries(first: 1) {{ edges {{ node {{ tiltSeriesQuality }} }} }}
          }}
          {total}
        }}"""
    )


def voxel_spacing_contents() -> str:
    """Tomograms of a voxel spacing and the run's annotations with shapes and files."""
    return checked(
        f"""
        query VoxelSpacing($id: Int!, $first: Int!) {{
          tomogramVoxelSpacings(where: {{id: {{_eq: $id}}}}) {{
            {selection("TomogramVoxelSpacing")}
            tomogramsAggregate {{ aggregate {{ count }} }}
            tomograms(first: $first, orderBy: [{{id: asc}}]) {{
              edges {{ node {{ {selection("Tomogram")} }} }}
            }}
            run {{
              annotations(first: $first, orderBy: [{{id: asc}}]) {{
                edges {{ node {{
                  {selection("Annotation")}
                  annotationShapes(first: 20) {{
                    edges {{ node {{
                      {selection("AnnotationShape")}
                      annotationFiles(first: $first, where: {{tomogramVoxelSpacingId: {{_eq: $id}}}}) {{
                        edges {{ node {{ {selection("AnnotationFile")} }} }}
                      }}
                    }} }}
                  }}
                }} }}
              }}
            }}
          }}
        }}"""
    )


def search(numeric: bool) -> str:
    """Datasets matching free text in any searchable field, and runs matching by name.

    The schema has no ``_or``, so each field gets its own aliased root field; the
    whole search is still one request.
    """
    by_id = "byId: datasets(where: {id: {_eq: $id}}) { ...D }" if numeric else ""
    id_var = ", $id: Int!" if numeric else ""
    return checked(
        f"""
        query Search($text: String!{id_var}) {{
          byTitle: datasets(where: {{title: {{_ilike: $text}}}}) {{ ...D }}
          byDescription: datasets(where: {{description: {{_ilike: $text}}}}) {{ ...D }}
          byOrganism: datasets(where: {{organismName: {{_ilike: $text}}}}) {{ ...D }}
          byCell: datasets(where: {{cellName: {{_ilike: $text}}}}) {{ ...D }}
          byTissue: datasets(where: {{tissueName: {{_ilike: $text}}}}) {{ ...D }}
          byRun: datasets(where: {{runs: {{name: {{_ilike: $text}}}}}}) {{ ...D }}
          byObject: datasets(where: {{runs: {{annotations: {{objectName: {{_ilike: $text}}}}}}}}) {{ ...D }}
          {by_id}
          runs(where: {{name: {{_ilike: $text}}}}, orderBy: [{{dataset: {{id: asc}}}}, {{name: asc}}],
               limitOffset: {{limit: 500}}) {{ id name datasetId }}
        }}
        fragment D on Dataset {{
          {selection("Dataset")}
          runsAggregate {{ aggregate {{ count }} }}
        }}"""
    )
