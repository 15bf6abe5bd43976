"""The synthetic portal's depositions: which datasets came together, and later
annotation-only depositions, each with its authors and types.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from ..replica.store import Row
from .datasets import ORGANISMS, dataset_dates, dataset_entries, dataset_publications
from .people import Team, annotation_deposition_team, authors, dataset_team
from .rows import Rows, iso_date


class Deposit(NamedTuple):
    """A deposition as the rows deposited in it see it."""

    id: int
    dates: tuple[str, str, str]
    team: Team


# Datasets per deposition, cycled: depositions of one dataset and of a dozen both occur.
DEPOSITION_SIZES = (1, 2, 4, 3, 8, 1, 5, 2, 12, 6)
# Datasets whose runs one annotation-only deposition adds annotations to.
ANNOTATION_DEPOSITION_SPAN = 60
ANNOTATION_DEPOSITION_DAY = 500  # days after BASE_DATE of the first one


def dataset_depositions(n_datasets: int) -> list[int]:
    """Deposition id of each dataset: runs of consecutive datasets, of varied length."""
    out: list[int] = []
    dep = 0
    while len(out) < n_datasets:
        out.extend([dep + 1] * DEPOSITION_SIZES[dep % len(DEPOSITION_SIZES)])
        dep += 1
    return out[:n_datasets]


def deposition(
    rows: Rows,
    deposit: Deposit,
    title: str,
    description: str,
    types: Sequence[str],
    *,
    publications: str | None = None,
    related_entries: str | None = None,
) -> Row:
    """A deposition with its authors and one ``DepositionType`` row per type."""
    row = rows.add(
        "Deposition",
        {
            "id": rows.new_id("Deposition", deposit.id),
            "title": title,
            "description": description,
            "tag": None,
            "depositionPublications": publications,
            "relatedDatabaseEntries": related_entries,
            "depositionDate": deposit.dates[0],
            "releaseDate": deposit.dates[1],
            "lastModifiedDate": deposit.dates[2],
            "keyPhotoUrl": None,
            "keyPhotoThumbnailUrl": None,
        },
    )
    authors(rows, "DepositionAuthor", "depositionId", deposit.id, deposit.team)
    for kind in types:
        rows.add(
            "DepositionType",
            {"id": rows.new_id("DepositionType"), "depositionId": deposit.id, "type": kind},
        )
    return row


class Depositions:
    """The depositions of a portal; each one's rows are added when first asked for.

    Datasets are grouped into depositions (:data:`DEPOSITION_SIZES`); annotation-only
    depositions, numbered after those, each add annotations to the runs of
    :data:`ANNOTATION_DEPOSITION_SPAN` consecutive datasets.
    """

    def __init__(self, rows: Rows, n_datasets: int) -> None:
        self.rows = rows
        self.ids = dataset_depositions(n_datasets)
        self.first_annotation_id = max(self.ids, default=0) + 1
        self._made: dict[int, Deposit] = {}

    def of_dataset(self, dataset_index: int) -> Deposit:
        """The deposition a dataset (its runs, tomograms and own annotations) came in."""
        dep_id = self.ids[dataset_index]
        if dep_id not in self._made:
            first = self.ids.index(dep_id)
            self._made[dep_id] = self._dataset_deposition(dep_id, first)
        return self._made[dep_id]

    def annotation_only(self, dataset_index: int) -> Deposit:
        """The annotation-only deposition that adds annotations to a dataset's runs."""
        index = dataset_index // ANNOTATION_DEPOSITION_SPAN
        dep_id = self.first_annotation_id + index
        if dep_id not in self._made:
            self._made[dep_id] = self._annotation_deposition(dep_id, index)
        return self._made[dep_id]

    def _dataset_deposition(self, dep_id: int, first: int) -> Deposit:
        organism, _, cell = ORGANISMS[first % len(ORGANISMS)][:3]
        deposit = Deposit(dep_id, dataset_dates(first), dataset_team(first))
        deposition(
            self.rows,
            deposit,
            f"In situ cryo-electron tomography of {organism} {cell}s",
            f"Tilt series, tomograms and annotations of {organism} {cell}s, "
            "deposited with the datasets they belong to.",
            ("annotation", "dataset", "tomogram"),
            publications=dataset_publications(first),
            related_entries=dataset_entries(first),
        )
        return deposit

    def _annotation_deposition(self, dep_id: int, index: int) -> Deposit:
        day = ANNOTATION_DEPOSITION_DAY + 45 * index
        dates = (iso_date(day), iso_date(day + 30), iso_date(day + 60))
        deposit = Deposit(dep_id, dates, annotation_deposition_team(index))
        deposition(
            self.rows,
            deposit,
            f"Community annotations, collection {index + 1}",
            "Particle picks and segmentations added after the datasets' release, by a "
            "group other than the datasets' authors.",
            ("annotation",),
            publications=f"10.5555/synthetic-annotations.{index + 1}" if index % 2 == 0 else None,
        )
        return deposit
