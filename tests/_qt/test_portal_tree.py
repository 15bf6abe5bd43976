"""The tree's columns, sorting and alignment nodes, and the open panel's alignment order.

(Named apart from tests/local/test_tree.py: pytest's default import mode needs unique
test module names.)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from qtpy.QtCore import QPoint, Qt

from napari_cryoet_explorer._qt.tree import PortalTree
from napari_cryoet_explorer._qt.tree_columns import (
    ALIGNMENT,
    AUTHORS,
    COLUMNS,
    COUNT,
    DEFAULT,
    EMPIAR,
    FORMATS,
    GROUND_TRUTH,
    METHOD,
    NAME,
    OBJECTS,
    ORGANISM,
    PRECISION,
    QUALITY,
    RECALL,
    SIZE,
    TITLE,
    TYPE,
)
from napari_cryoet_explorer._qt.tree_items import annotation_item, dataset_item
from napari_cryoet_explorer._qt.widget import ExplorerWidget
from napari_cryoet_explorer.portal.models import Annotation, Dataset
from napari_cryoet_explorer.portal.vocabulary import (
    NOT_AVAILABLE,
    quality_description,
    quality_label,
)
from napari_cryoet_explorer.replica.server import ReplicaServer
from napari_cryoet_explorer.replica.store import Store
from napari_cryoet_explorer.synthetic.portal import GeneratedPortal

TIMEOUT = 30_000
Entities = dict[str, list[dict[str, Any]]]


def _connect(widget: ExplorerWidget, url: str, qtbot: Any, n: int) -> None:
    widget.connect_to_portal(url)
    qtbot.waitUntil(
        lambda: widget.tree.topLevelItemCount() >= n and not widget.jobs.busy, timeout=TIMEOUT
    )


def _expand(widget: ExplorerWidget, item: Any, qtbot: Any) -> None:
    item.setExpanded(True)
    qtbot.waitUntil(
        lambda: (
            not PortalTree.needs_children(item)
            and not widget.jobs.busy
            and PortalTree.kind(item.child(0)) != "loading"
        ),
        timeout=TIMEOUT,
    )


def _children(item: Any) -> list[Any]:
    return [item.child(i) for i in range(item.childCount())]


def _top(widget: ExplorerWidget) -> list[Any]:
    return [widget.tree.topLevelItem(i) for i in range(widget.tree.topLevelItemCount())]


def _named(items: list[Any], text: str) -> Any:
    (found,) = [i for i in items if i.text(NAME) == text]
    return found


def _run_node(widget: ExplorerWidget, replica: ReplicaServer, qtbot: Any) -> Any:
    """10000/TS_001, expanded: its voxel spacings 10 Å (two alignments) and 20 Å."""
    _connect(widget, replica.url, qtbot, 2)
    dataset = _named(_top(widget), "10000")
    _expand(widget, dataset, qtbot)
    run = _named(_children(dataset), "TS_001")
    _expand(widget, run, qtbot)
    return run


def _spacing(widget: ExplorerWidget, run: Any, qtbot: Any, text: str = "10.000 Å") -> Any:
    spacing = _named(_children(run), text)
    _expand(widget, spacing, qtbot)
    return spacing


# -- what the entities say --------------------------------------------------------------


def _rows(entities: Entities, table: str, **where: Any) -> list[dict[str, Any]]:
    return [r for r in entities[table] if all(r[k] == v for k, v in where.items())]


def _one(entities: Entities, table: str, **where: Any) -> dict[str, Any]:
    (row,) = _rows(entities, table, **where)
    return row


def _files(entities: Entities, annotation_id: int) -> list[dict[str, Any]]:
    shapes = {s["id"] for s in _rows(entities, "AnnotationShape", annotationId=annotation_id)}
    return [f for f in entities["AnnotationFile"] if f["annotationShapeId"] in shapes]


def _percent(value: float | None) -> str:
    return NOT_AVAILABLE if value is None else f"{value:g}%"


def _cells(item: Any) -> dict[int, str]:
    """The non-empty cells of a row, by column."""
    return {c: item.text(c) for c in range(len(COLUMNS)) if item.text(c)}


def _expected_annotation(entities: Entities, annotation_id: int) -> dict[int, str]:
    a = _one(entities, "Annotation", id=annotation_id)
    files = _files(entities, annotation_id)
    shapes = _rows(entities, "AnnotationShape", annotationId=annotation_id)
    authors = sorted(
        _rows(entities, "AnnotationAuthor", annotationId=annotation_id),
        key=lambda r: r["authorListOrder"],
    )
    return {
        NAME: a["objectName"],
        TITLE: str(a["id"]),
        COUNT: f"{a['objectCount']} objects",
        TYPE: ", ".join(sorted({s["shapeType"] for s in shapes}, key=str.casefold)),
        METHOD: a["methodType"],
        ALIGNMENT: ", ".join(str(i) for i in sorted({f["alignmentId"] for f in files})),
        PRECISION: _percent(a["confidencePrecision"]),
        RECALL: _percent(a["confidenceRecall"]),
        GROUND_TRUTH: "yes" if a["groundTruthStatus"] else "no",
        DEFAULT: "yes" if any(f["isVisualizationDefault"] for f in files) else "no",
        AUTHORS: ", ".join(r["name"] for r in authors),
        FORMATS: ", ".join(sorted({f["format"] for f in files})),
    }


def _expected_tomogram(entities: Entities, tomogram_id: int) -> dict[int, str]:
    t = _one(entities, "Tomogram", id=tomogram_id)
    return {
        NAME: f"tomogram {t['id']}",
        TITLE: str(t["id"]),
        TYPE: t["processing"],
        METHOD: t["reconstructionMethod"],
        SIZE: f"{t['sizeX']}×{t['sizeY']}×{t['sizeZ']}",
        ALIGNMENT: str(t["alignmentId"]),
        DEFAULT: "yes" if t["isVisualizationDefault"] else "no",
    }


# -- columns ------------------------------------------------------------------------------


def test_columns_of_each_row_kind(
    widget: ExplorerWidget, tiny_replica: ReplicaServer, tiny_portal: GeneratedPortal, qtbot: Any
) -> None:
    entities = tiny_portal.entities
    run = _run_node(widget, tiny_replica, qtbot)
    dataset = run.parent()

    ds = _one(entities, "Dataset", id=10000)
    runs = _rows(entities, "Run", datasetId=10000)
    run_ids = {r["id"] for r in runs}
    objects = {a["objectName"] for a in entities["Annotation"] if a["runId"] in run_ids}
    empiar = [e for e in ds["relatedDatabaseEntries"].split(", ") if e.startswith("EMPIAR-")]
    assert empiar  # the synthetic dataset has one
    assert _cells(dataset) == {
        NAME: "10000",
        TITLE: ds["title"],
        ORGANISM: ds["organismName"],
        COUNT: f"{len(runs)} runs",
        OBJECTS: ", ".join(sorted(objects, key=str.casefold)),
        EMPIAR: ", ".join(empiar),
    }

    r = _one(entities, "Run", datasetId=10000, name="TS_001")
    quality = _one(entities, "Tiltseries", runId=r["id"])["tiltSeriesQuality"]
    run_objects = {a["objectName"] for a in _rows(entities, "Annotation", runId=r["id"])}
    annotations = len(_rows(entities, "Annotation", runId=r["id"]))
    assert _cells(run) == {
        NAME: "TS_001",
        TITLE: str(r["id"]),
        COUNT: f"{annotations} annotations",
        QUALITY: quality_label(quality),
        OBJECTS: ", ".join(sorted(run_objects, key=str.casefold)),
    }
    assert run.text(QUALITY) == "5 Excellent"
    assert quality_description(quality) in run.toolTip(QUALITY)

    spacing = _spacing(widget, run, qtbot)
    vs = _one(entities, "TomogramVoxelSpacing", runId=r["id"], voxelSpacing=10.0)
    tomograms = _rows(entities, "Tomogram", tomogramVoxelSpacingId=vs["id"])
    assert _cells(spacing) == {
        NAME: "10.000 Å",
        TITLE: str(vs["id"]),
        COUNT: f"{len(tomograms)} tomograms",
    }

    rows = [row for node in _children(spacing) for row in _children(node)]
    shown_tomograms = [row for row in rows if PortalTree.kind(row) == "tomogram"]
    shown_annotations = [row for row in rows if PortalTree.kind(row) == "annotation"]
    assert sorted(int(row.text(TITLE)) for row in shown_tomograms) == [t["id"] for t in tomograms]
    for row in shown_tomograms:
        assert _cells(row) == _expected_tomogram(entities, int(row.text(TITLE)))
    at_spacing = _rows(entities, "Annotation", runId=r["id"], tomogramVoxelSpacingId=vs["id"])
    assert sorted(int(row.text(TITLE)) for row in shown_annotations) == [
        a["id"] for a in at_spacing
    ]
    for row in shown_annotations:
        assert _cells(row) == _expected_annotation(entities, int(row.text(TITLE)))
    # Precision and recall: the portal's percentages, NA where none was measured.
    measured = [row.text(PRECISION) for row in shown_annotations]
    assert NOT_AVAILABLE in measured and "75%" in measured

    # Every cell's tooltip has its whole text and says what the column means there.
    for row in [dataset, run, spacing, *_children(spacing), *rows]:
        kind = PortalTree.kind(row)
        for column, text in _cells(row).items():
            tip = row.toolTip(column)
            assert text in tip and COLUMNS[column].meanings[kind] in tip, (kind, column, tip)
    header = widget.tree.headerItem()
    assert [header.text(c) for c in range(len(COLUMNS))] == [c.title for c in COLUMNS]
    assert "Precision" in header.toolTip(PRECISION)


# -- sorting ------------------------------------------------------------------------------


def _annotation(id_: int, precision: float | None, name: str = "ribosome") -> Annotation:
    fields = {} if precision is None else {"confidencePrecision": precision}
    return Annotation(id=id_, object_name=name, run_id=1, fields=fields)


def _texts(tree: PortalTree, column: int) -> list[str]:
    return [tree.topLevelItem(i).text(column) for i in range(tree.topLevelItemCount())]


def test_sorting_numbers_na_and_special_rows(qtbot: Any) -> None:
    tree = PortalTree()
    qtbot.addWidget(tree)
    tree.addTopLevelItems(
        [
            annotation_item(_annotation(1, 62.5)),
            annotation_item(_annotation(2, None)),
            annotation_item(_annotation(3, 9.0)),
            annotation_item(_annotation(4, 100.0)),
            annotation_item(_annotation(5, 12.25)),
        ]
    )
    PortalTree.add_more(None, "load more… (5 of 9)", object(), tree)
    # The portal's order until a column is chosen.
    assert _texts(tree, TITLE) == ["1", "2", "3", "4", "5", ""]
    assert PortalTree.kind(tree.topLevelItem(5)) == "more"

    tree.sortByColumn(PRECISION, Qt.SortOrder.AscendingOrder)
    assert _texts(tree, PRECISION) == ["9%", "12.25%", "62.5%", "100%", "NA", ""]
    tree.sortByColumn(PRECISION, Qt.SortOrder.DescendingOrder)
    assert _texts(tree, PRECISION) == ["100%", "62.5%", "12.25%", "9%", "NA", ""]
    assert PortalTree.kind(tree.topLevelItem(5)) == "more"  # last either way

    # Rows that arrive later take their sorted place; "load more" stays last.
    PortalTree.remove_more(None, tree)
    PortalTree.add_children(None, [annotation_item(_annotation(6, 50.0))], tree)
    PortalTree.add_more(None, "load more… (6 of 9)", object(), tree)
    assert _texts(tree, PRECISION) == ["100%", "62.5%", "50%", "12.25%", "9%", "NA", ""]
    assert PortalTree.kind(tree.topLevelItem(6)) == "more"

    # Counts sort as numbers ("10 runs" after "9 runs"); a "Loading…" placeholder stays
    # last among a node's children.
    tree.clear()
    datasets = [Dataset(id=i, title=f"d{i}", run_count=n) for i, n in ((1, 10), (2, 9), (3, 100))]
    tree.addTopLevelItems([dataset_item(d) for d in datasets])
    tree.sortByColumn(COUNT, Qt.SortOrder.DescendingOrder)
    assert _texts(tree, COUNT) == ["100 runs", "10 runs", "9 runs"]
    tree.sortByColumn(COUNT, Qt.SortOrder.AscendingOrder)
    assert _texts(tree, COUNT) == ["9 runs", "10 runs", "100 runs"]
    node = tree.topLevelItem(0)
    assert PortalTree.kind(node.child(0)) == "loading" and PortalTree.needs_children(node)


def test_clicking_a_header_sorts_and_keeps_load_more_last(
    widget: ExplorerWidget,
    portal_scale_store: Store,
    replica_factory: Callable[..., ReplicaServer],
    qtbot: Any,
) -> None:
    server = replica_factory(portal_scale_store)
    widget.resize(900, 700)
    widget.show()
    widget.connect_to_portal(server.url)
    qtbot.waitUntil(
        lambda: (
            PortalTree.kind(widget.tree.topLevelItem(widget.tree.topLevelItemCount() - 1)) == "more"
            and not widget.jobs.busy
        ),
        timeout=TIMEOUT,
    )
    tree = widget.tree
    header = tree.header()

    def click(column: int) -> None:
        x = header.sectionViewportPosition(column) + header.sectionSize(column) // 2
        qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, 5))

    def counts() -> list[int]:
        rows = _top(widget)
        assert PortalTree.kind(rows[-1]) == "more"
        assert all(PortalTree.kind(r) == "dataset" for r in rows[:-1])
        return [int(r.text(COUNT).split()[0]) for r in rows[:-1]]

    # The portal's order (by id) until a header is clicked.
    ids = [int(r.text(NAME)) for r in _top(widget)[:-1]]
    assert ids == sorted(ids)
    tree.horizontalScrollBar().setValue(0)
    click(COUNT)
    assert header.sortIndicatorSection() == COUNT
    ascending = counts()
    assert ascending == sorted(ascending) and ascending[0] < ascending[-1]
    click(COUNT)
    assert counts() == sorted(ascending, reverse=True)
    # The next batch takes its sorted places; "load more" is gone when all are in.
    tree.itemClicked.emit(_top(widget)[-1], 0)
    qtbot.waitUntil(lambda: tree.topLevelItemCount() == 600 and not widget.jobs.busy)
    rows = _top(widget)
    assert all(PortalTree.kind(r) == "dataset" for r in rows)
    loaded = [int(r.text(COUNT).split()[0]) for r in rows]
    assert loaded == sorted(loaded, reverse=True)


# -- alignments ---------------------------------------------------------------------------


def test_alignment_nodes_hold_their_tomograms_and_annotations(
    widget: ExplorerWidget, tiny_replica: ReplicaServer, tiny_portal: GeneratedPortal, qtbot: Any
) -> None:
    entities = tiny_portal.entities
    run = _run_node(widget, tiny_replica, qtbot)
    spacing = _spacing(widget, run, qtbot)
    vs = _one(entities, "TomogramVoxelSpacing", runId=1, voxelSpacing=10.0)
    alignments = sorted(
        {t["alignmentId"] for t in _rows(entities, "Tomogram", tomogramVoxelSpacingId=vs["id"])}
    )
    assert len(alignments) == 2
    nodes = _children(spacing)
    assert [PortalTree.kind(n) for n in nodes] == ["alignment"] * 2
    for node, alignment_id in zip(nodes, alignments, strict=True):
        tomograms = _rows(
            entities, "Tomogram", tomogramVoxelSpacingId=vs["id"], alignmentId=alignment_id
        )
        ids = ", ".join(str(t["id"]) for t in tomograms)
        assert node.text(NAME) == f"alignment {alignment_id} · tomogram {ids}"
        kinds = [PortalTree.kind(row) for row in _children(node)]
        assert kinds == ["tomogram"] * len(tomograms) + ["annotation"] * (len(kinds) - 1)
        shown = {int(row.text(TITLE)) for row in _children(node)[len(tomograms) :]}
        drawn_here = {
            a["id"]
            for a in _rows(entities, "Annotation", runId=1, tomogramVoxelSpacingId=vs["id"])
            if any(f["alignmentId"] == alignment_id for f in _files(entities, a["id"]))
        }
        assert shown == drawn_here
        for row in _children(node):
            # Each row keeps only its alignment's files, and the spacing's contents.
            model = PortalTree.node_model(row)
            if isinstance(model, Annotation):
                assert {f.alignment_id for f in model.files} == {alignment_id}
            assert row.data(0, Qt.ItemDataRole.UserRole + 3) is not None

    # Selecting an alignment, or a row under it, offers that alignment's tomogram.
    panel = widget.open_panel
    second = nodes[1]
    widget.tree.setCurrentItem(second)
    assert panel.selected_tomogram().alignment_id == alignments[1]
    assert "All fields" in widget.metadata.sections()
    widget.tree.setCurrentItem(nodes[0].child(1))  # an annotation of the first
    assert panel.selected_tomogram().alignment_id == alignments[0]
    widget.tree.setCurrentItem(second.child(0))  # a tomogram offers itself
    assert panel.selected_tomogram() == PortalTree.node_model(second.child(0))

    # One alignment (20 Å): tomograms and annotations right under the spacing.
    single = _spacing(widget, run, qtbot, "20.000 Å")
    kinds = [PortalTree.kind(row) for row in _children(single)]
    assert "alignment" not in kinds and kinds[0] == "tomogram" and "annotation" in kinds


def test_open_panel_lists_the_tomograms_alignment_first(
    widget: ExplorerWidget, tiny_replica: ReplicaServer, qtbot: Any
) -> None:
    run = _run_node(widget, tiny_replica, qtbot)
    spacing = _spacing(widget, run, qtbot)
    panel = widget.open_panel
    for node in _children(spacing):
        widget.tree.setCurrentItem(node)
        tomogram = panel.selected_tomogram()
        items = [panel.annotations.item(i) for i in range(panel.annotations.count())]
        aligned = [panel.is_aligned(i) for i in range(len(items))]
        assert aligned == sorted(aligned, reverse=True) and True in aligned and False in aligned
        for i, item in enumerate(items):
            _, file = item.data(Qt.ItemDataRole.UserRole)
            ticked = item.checkState() == Qt.CheckState.Checked
            if aligned[i]:
                assert file.alignment_id == tomogram.alignment_id
                assert ticked == file.is_visualization_default
                assert "not aligned" not in item.text()
            else:
                assert file.alignment_id != tomogram.alignment_id and not ticked
                assert item.text().endswith(
                    f"(not aligned to this tomogram: alignment {file.alignment_id})"
                )
        chosen = panel.chosen_files()
        assert chosen and {f.alignment_id for _, f in chosen} == {tomogram.alignment_id}

    # Ticking another alignment's file is the user's explicit choice: it is opened too.
    other = next(i for i in range(panel.annotations.count()) if not panel.is_aligned(i))
    panel.annotations.item(other).setCheckState(Qt.CheckState.Checked)
    assert panel.annotations.item(other).data(Qt.ItemDataRole.UserRole) in panel.chosen_files()

    # Choosing another tomogram in the panel reorders the list for it.
    first = panel.selected_tomogram()
    index = next(
        i for i in range(panel.tomogram.count()) if panel.tomogram.itemData(i).id != first.id
    )
    panel.tomogram.setCurrentIndex(index)
    now = panel.selected_tomogram()
    assert now.alignment_id != first.alignment_id
    _, top_file = panel.annotations.item(0).data(Qt.ItemDataRole.UserRole)
    assert panel.is_aligned(0) and top_file.alignment_id == now.alignment_id
