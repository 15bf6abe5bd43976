"""The portal's own words for coded values: tilt-series quality scores and the like.

Taken from the portal's "Data Organization" documentation, so that tables, tooltips
and the metadata panel say what the portal's pages say.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Quality:
    """One tilt-series quality score: its number, name and the portal's description."""

    score: int
    name: str
    description: str

    @property
    def label(self) -> str:
        """``"4 Good"``, as the run tables show it."""
        return f"{self.score} {self.name}"


TILT_SERIES_QUALITY: dict[int, Quality] = {
    q.score: q
    for q in (
        Quality(
            5,
            "Excellent",
            "Full tilt series/reconstructions could be used in publication-ready figures.",
        ),
        Quality(
            4,
            "Good",
            "Full tilt series/reconstructions are useful for analysis "
            "(subtomogram averaging, segmentation).",
        ),
        Quality(
            3,
            "Medium",
            "Minor parts of the tilt series (projection images) need to be "
            "or have been discarded prior to reconstruction and analysis.",
        ),
        Quality(
            2,
            "Marginal",
            "Major parts of the tilt series (projection images) need to "
            "be or have been discarded prior to reconstruction and analysis. Useful for "
            "analysis only after heavy manual intervention.",
        ),
        Quality(
            1,
            "Low",
            "Not useful for analysis with current tools (not alignable), "
            "useful as a test case for problematic data only.",
        ),
    )
}
"""Scores 1-5, assigned by the dataset authors; only comparable within a dataset."""

NOT_AVAILABLE = "NA"
"""What tables show for a value the portal does not have (never ``null``)."""


def quality_label(score: int | None) -> str:
    """``"4 Good"`` for a score, ``"NA"`` when there is none (or it is out of range)."""
    quality = TILT_SERIES_QUALITY.get(score) if score is not None else None
    return quality.label if quality else NOT_AVAILABLE


def quality_description(score: int | None) -> str:
    """The portal's sentence for a score, or "" when there is none."""
    quality = TILT_SERIES_QUALITY.get(score) if score is not None else None
    return quality.description if quality else ""
