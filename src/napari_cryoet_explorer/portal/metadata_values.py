"""Metadata values as the metadata panel shows them.

Units, readable names of enum values (``cell_line`` -> ``Cell line``), numbers without
trailing zeros, dates as YYYY-MM-DD, Yes/No, and the tests for absent values.
"""

from __future__ import annotations

import re
from typing import Any

ANGSTROM = "Å"
DEGREE = "°"
FLUX = "e⁻/Å²"


# Readable names of enum values, per enum.
_READABLE: dict[str, dict[str, str]] = {
    "sample_type": {
        "cell": "Cell",
        "cell_line": "Cell line",
        "in_silico": "In-silico synthetic data",
        "in_vitro": "In-vitro mixture",
        "organelle": "Intact organelle",
        "organism": "Organism",
        "organoid": "Organoid",
        "other": "Other",
        "primary_cell_culture": "Primary cell culture",
        "tissue": "Tissue",
        "virus": "Virus",
    },
    "processing": {
        "raw": "Raw",
        "denoised": "Denoised",
        "filtered": "Filtered",
        "filtered_even": "Filtered (even)",
        "filtered_odd": "Filtered (odd)",
    },
    "reconstruction": {
        "WBP": "Weighted back-projection (WBP)",
        "SART": "SART",
        "SIRT": "SIRT",
        "Fourier_Space": "Fourier space",
        "Unknown": "Unknown",
    },
    "fiducial": {"FIDUCIAL": "Fiducial", "NON_FIDUCIAL": "Non-fiducial"},
    "method_type": {
        "manual": "Manual",
        "automated": "Automated",
        "hybrid": "Hybrid",
        "simulated": "Simulated",
    },
    "alignment_type": {"LOCAL": "Local", "GLOBAL": "Global"},
    "alignment_method": {
        "projection_matching": "Projection matching",
        "patch_tracking": "Patch tracking",
        "fiducial_based": "Fiducial based",
        "simulated": "Simulated",
    },
    "link_type": {
        "documentation": "Documentation",
        "models_weights": "Model weights",
        "other": "Other",
        "source_code": "Source code",
        "website": "Website",
    },
    "deposition_type": {"annotation": "Annotations", "dataset": "Dataset", "tomogram": "Tomograms"},
    "manufacturer": {"SIMULATED": "Simulated"},
}


def readable(enum: str, value: Any) -> str:
    """A readable name for an enum value (``cell_line`` -> ``Cell line``).

    Shape types split their camel case (``OrientedPoint`` -> ``Oriented Point``);
    values the table does not know (a newer schema) keep their text, underscores read
    as spaces.
    """
    if value is None or value == "":
        return ""
    text = str(value)
    known = _READABLE.get(enum, {}).get(text)
    if known is not None:
        return known
    if enum == "shape":
        return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", text)
    if enum == "manufacturer":
        return text
    return text.replace("_", " ")


_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")


def number(value: Any) -> str:
    """A number without trailing zeros (``60.0`` -> ``60``, ``1.348`` -> ``1.348``)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if isinstance(value, int) or value.is_integer():
        return str(int(value))
    return f"{value:.4f}".rstrip("0").rstrip(".")


def date(value: Any) -> str:
    """``2023-04-01`` from an ISO-8601 date or date-time."""
    text = str(value)
    found = _DATE.match(text)
    return found.group(0) if found else text


def yes_no(value: Any) -> str:
    """``Yes`` or ``No``."""
    return "Yes" if value else "No"


def present(value: Any) -> bool:
    """Whether a value is there: not None, ``""`` or ``[]``."""
    return value is not None and value != "" and value != []


def as_float(value: Any) -> float | None:
    """A value as a float; None when absent, a bool or not a number."""
    try:
        return None if value is None or isinstance(value, bool) else float(value)
    except (TypeError, ValueError):
        return None


def with_unit(text: str, unit: str) -> str:
    """``text`` and its unit: degrees follow the number, other units after a space."""
    if not unit:
        return text
    return f"{text}{unit}" if unit == DEGREE else f"{text} {unit}"


__all__ = [
    "ANGSTROM",
    "DEGREE",
    "FLUX",
    "as_float",
    "date",
    "number",
    "present",
    "readable",
    "with_unit",
    "yes_no",
]
