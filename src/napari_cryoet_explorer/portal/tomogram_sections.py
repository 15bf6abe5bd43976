"""The metadata sections of tilt series and tomograms (with the tomogram's
alignment), as the portal's "Data Organization" tables show them.
"""

from __future__ import annotations

import json
from typing import Any, cast

from .metadata_links import link_for
from .metadata_rows import Node, Row, Rows, Section, authors_row, many, one, row, xyz
from .metadata_values import ANGSTROM, DEGREE, FLUX, as_float, number, present, with_unit
from .vocabulary import quality_description, quality_label


def tiltseries_section(node: Node, title: str = "Tilt series") -> Section | None:
    """``Tilt series``: microscope, optics, camera, geometry, dose and quality."""
    rows = Rows("Tiltseries", node)
    rows.enum("microscopeManufacturer", "manufacturer")
    for name in (
        "microscopeModel",
        "microscopeEnergyFilter",
        "microscopePhasePlate",
        "microscopeImageCorrector",
        "microscopeAdditionalInfo",
    ):
        rows.text(name)
    rows.measure("accelerationVoltage", "kV", 1e-3)  # the API gives volts
    rows.measure("sphericalAberrationConstant", "mm")
    rows.text("cameraManufacturer")
    rows.text("cameraModel")
    rows.text("dataAcquisitionSoftware")
    rows.measure("pixelSpacing", ANGSTROM)
    rows.measure("tiltAxis", DEGREE)
    low, high = as_float(node.get("tiltMin")), as_float(node.get("tiltMax"))
    if low is not None and high is not None:
        rows.add(row("Tiltseries.tiltRange", f"{number(low)}{DEGREE} to {number(high)}{DEGREE}"))
    rows.measure("tiltStep", DEGREE)
    rows.text("tiltingScheme")
    rows.measure("totalFlux", FLUX)
    rows.measure("binningFromFrames")
    rows.flag("isAligned")
    rows.text("relatedEmpiarEntry")
    quality = node.get("tiltSeriesQuality")
    if present(quality):
        score = int(cast(Any, quality))
        meaning = quality_description(score)
        label = quality_label(score)
        rows.add(row("Tiltseries.tiltSeriesQuality", f"{label}: {meaning}" if meaning else label))
    return rows.section(title)


def tiltseries_files_section(node: Node) -> Section | None:
    """``Tilt series files``: id, image size and the stack and angle list files."""
    rows = Rows("Tiltseries", node)
    rows.text("id")
    size = xyz(node, ("sizeX", "sizeY", "sizeZ"))
    if size is not None:
        rows.add(row("Tiltseries.size", size))
    for name in ("httpsMrcFile", "httpsOmezarrDir", "httpsAngleList"):
        value = node.get(name)
        if present(value):
            rows.add(row(f"Tiltseries.{name}", str(value), link_for(value)))
    return rows.section("Tilt series files")


def tomogram_section(node: Node) -> Section | None:
    """``Tomogram``: reconstruction, processing, size, alignment and voxel spacings."""
    rows = Rows("Tomogram", node)
    rows.text("id")
    rows.add(authors_row("Tomogram.authors", many(node, "authors")))
    rows.enum("reconstructionMethod", "reconstruction")
    rows.text("reconstructionSoftware")
    rows.enum("processing", "processing")
    rows.text("processingSoftware")
    rows.measure("voxelSpacing", ANGSTROM)
    size = xyz(node, ("sizeX", "sizeY", "sizeZ"))
    if size:
        rows.add(row("Tomogram.size", size))
    rows.enum("fiducialAlignmentStatus", "fiducial")
    rows.flag("ctfCorrected")
    rows.rows += _alignment_rows(one(node, "alignment"), node.get("alignmentId"))
    spacings = [
        as_float(v.get("voxelSpacing")) for v in many(one(node, "run"), "tomogramVoxelSpacings")
    ]
    known = [s for s in spacings if s is not None]
    if known:
        rows.add(row("Tomogram.smallestVoxelSpacing", with_unit(number(min(known)), ANGSTROM)))
    return rows.section("Tomogram")


def _alignment_rows(alignment: Node | None, alignment_id: Any) -> list[Row]:
    rows = Rows("Alignment", alignment)
    node = rows.node
    if not present(node.get("id")) and present(alignment_id):
        rows.add(row("Alignment.id", str(alignment_id)))
    rows.text("id")
    rows.enum("alignmentType", "alignment_type")
    rows.enum("alignmentMethod", "alignment_method")
    matrix = _matrix_text(node.get("affineTransformationMatrix"))
    if matrix:
        rows.add(row("Alignment.affineTransformationMatrix", matrix))
    offset = xyz(node, ("volumeXOffset", "volumeYOffset", "volumeZOffset"), ANGSTROM)
    if offset:
        rows.add(row("Alignment.volumeOffset", offset))
    rows.measure("tiltOffset", DEGREE)
    rows.measure("xRotationOffset", DEGREE)
    return rows.rows


def _matrix_text(value: Any) -> str:
    """A matrix (a JSON text, as the API gives it, or nested lists) as compact JSON."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return value.strip()
    if isinstance(value, list):
        return (
            "["
            + ", ".join(
                "[" + ", ".join(number(v) for v in r) + "]" if isinstance(r, list) else number(r)
                for r in value
            )
            + "]"
        )
    return ""


__all__ = [
    "tiltseries_files_section",
    "tiltseries_section",
    "tomogram_section",
]
