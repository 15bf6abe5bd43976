"""The metadata sections of an annotation: the portal's ``Annotation``,
``Annotation object`` and ``Annotation confidence`` tables.
"""

from __future__ import annotations

from collections.abc import Sequence

from .metadata_links import link_for
from .metadata_rows import Node, Row, Rows, Section, authors_row, many, row
from .metadata_terms import TERMS
from .metadata_values import as_float, number, present, readable
from .vocabulary import NOT_AVAILABLE


def annotation_sections(node: Node) -> list[Section]:
    """``Annotation``, ``Annotation object`` and ``Annotation confidence``, the portal's
    three tables of an annotation's metadata."""
    overview = Rows("Annotation", node)
    overview.text("id")
    overview.add(authors_row("Annotation.authors", many(node, "authors")))
    overview.text("annotationPublication")
    overview.dates()
    overview.enum("methodType", "method_type")
    overview.text("annotationMethod")
    overview.add(_method_links_row(many(node, "methodLinks")))
    overview.text("annotationSoftware")

    obj = Rows("Annotation", node)
    obj.text("objectName")
    obj.text("objectId")
    obj.text("objectCount")
    shapes = many(node, "annotationShapes")
    kinds = [readable("shape", s.get("shapeType")) for s in shapes]
    if any(kinds):
        obj.add(row("AnnotationShape.shapeType", ", ".join(dict.fromkeys(k for k in kinds if k))))
    obj.add(_files_row(shapes))
    obj.text("objectState")
    obj.text("objectDescription")

    confidence = Rows("Annotation", node)
    confidence.flag("groundTruthStatus")
    confidence.text("groundTruthUsed")
    for name in ("confidencePrecision", "confidenceRecall"):
        # The portal marks these NA when no ground truth was compared.
        value = as_float(node.get(name))
        confidence.add(
            row(f"Annotation.{name}", NOT_AVAILABLE if value is None else f"{number(value)}%")
        )
    found = [
        overview.section("Annotation"),
        obj.section("Annotation object"),
        confidence.section("Annotation confidence"),
    ]
    return [s for s in found if s is not None]


def _method_links_row(links: Sequence[Node]) -> Row | None:
    children = [
        Row(
            str(link.get("name") or readable("link_type", link.get("linkType")) or "link"),
            str(link.get("link")),
            link_for(link.get("link")),
            TERMS["Annotation.methodLinks"].definition,
            "AnnotationMethodLink.link",
        )
        for link in links
        if present(link.get("link"))
    ]
    if not children:
        return None
    return row("Annotation.methodLinks", ", ".join(c.label for c in children), None, children)


def _files_row(shapes: Sequence[Node]) -> Row | None:
    children = []
    for shape in shapes:
        kind = readable("shape", shape.get("shapeType"))
        for f in many(shape, "annotationFiles"):
            where = f.get("httpsPath") or f.get("s3Path")
            if not present(where):
                continue
            label = f"{kind} ({f.get('format')})" if present(f.get("format")) else kind
            children.append(
                Row(
                    label,
                    str(where),
                    link_for(where),
                    TERMS["AnnotationShape.annotationFiles"].definition,
                    "AnnotationFile.httpsPath",
                )
            )
    if not children:
        return None
    return row(
        "AnnotationShape.annotationFiles",
        f"{len(children)} files" if len(children) != 1 else "1 file",
        None,
        children,
    )


__all__ = [
    "annotation_sections",
]
