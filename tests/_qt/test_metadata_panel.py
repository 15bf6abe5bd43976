"""The metadata panel: links, several references in one field, copying."""

from __future__ import annotations

from typing import Any

import pytest
from qtpy.QtCore import Qt
from qtpy.QtGui import QGuiApplication

from napari_cryoet_explorer._qt import metadata_panel
from napari_cryoet_explorer._qt.metadata_panel import MetadataPanel

FIELDS = {
    "datasetPublications": "10.5555/synthetic.1, doi:10.1101/2022.04.12.488077",
    "relatedDatabaseEntries": "EMD-50000",
    "httpsPrefix": "https://files.example.org/10000/",
    "title": "Yeast, in lamellae",  # a comma, but not links
    "organism": {"name": "Saccharomyces cerevisiae", "taxonomyId": 4932},
}


@pytest.fixture
def panel(qtbot: Any) -> MetadataPanel:
    widget = MetadataPanel()
    qtbot.addWidget(widget)
    widget.show_fields("10000", FIELDS)
    return widget


def _row(panel: MetadataPanel, key: str) -> Any:
    root = panel.tree.topLevelItem(0)
    return next(root.child(i) for i in range(root.childCount()) if root.child(i).text(0) == key)


def test_links_for_dois_accessions_and_urls(panel: MetadataPanel) -> None:
    publications = _row(panel, "datasetPublications")
    assert panel.link_of(publications) is None  # the list itself is not one link
    assert [panel.link_of(publications.child(i)) for i in range(publications.childCount())] == [
        "https://doi.org/10.5555/synthetic.1",
        "https://doi.org/10.1101/2022.04.12.488077",
    ]
    assert panel.link_of(_row(panel, "relatedDatabaseEntries")) == (
        "https://www.ebi.ac.uk/emdb/EMD-50000"
    )
    assert panel.link_of(_row(panel, "httpsPrefix")) == FIELDS["httpsPrefix"]
    title = _row(panel, "title")
    assert panel.link_of(title) is None and title.childCount() == 0
    organism = _row(panel, "organism")
    assert [organism.child(i).text(1) for i in range(2)] == ["Saccharomyces cerevisiae", "4932"]


def test_double_click_opens_the_link(panel: MetadataPanel, monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[str] = []
    monkeypatch.setattr(
        metadata_panel.QDesktopServices, "openUrl", lambda url: opened.append(url.toString())
    )
    entry = _row(panel, "relatedDatabaseEntries")
    panel.tree.itemDoubleClicked.emit(entry, 1)
    panel.tree.itemDoubleClicked.emit(_row(panel, "title"), 1)  # not a link: nothing
    assert opened == ["https://www.ebi.ac.uk/emdb/EMD-50000"]


def test_copy_selected_rows_and_filter(panel: MetadataPanel, qtbot: Any) -> None:
    _row(panel, "relatedDatabaseEntries").setSelected(True)
    _row(panel, "title").setSelected(True)
    qtbot.keyClick(panel, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    copied = QGuiApplication.clipboard().text().splitlines()
    assert sorted(copied) == ["relatedDatabaseEntries: EMD-50000", "title: Yeast, in lamellae"]
    panel.filter.setText("taxonomy")
    root = panel.tree.topLevelItem(0)
    shown = [
        root.child(i).text(0) for i in range(root.childCount()) if not root.child(i).isHidden()
    ]
    assert shown == ["organism"]  # kept for its matching child
