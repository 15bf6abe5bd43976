"""How the synthetic portal's data were imaged and reconstructed, per dataset and run.

Microscopes, cameras, tilt schemes and reconstructions, and which of them a dataset's
runs use: the ``Tiltseries`` fields of a run's imaging, its tilt-series quality, its
EMPIAR entry and how its tomograms were made.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

from ..replica.store import Row

# -- what varies between datasets and runs ------------------------------------------
#
# A dataset is one imaging condition on the real portal (microscope, camera, tilt
# scheme, processing); every fourth dataset, from the second on, mixes two, so that
# "the same tilt series row" semantics of nested filters have something to tell apart.


class Microscope(NamedTuple):
    """A microscope setup (the manufacturer is the schema's enum)."""

    manufacturer: str
    model: str
    voltage: int
    energy_filter: str
    phase_plate: str | None
    image_corrector: str | None
    acquisition_software: str
    cs: float


class Camera(NamedTuple):
    """A detector, with the pixel spacing and tilt axis it is used at."""

    manufacturer: str
    model: str
    pixel_spacing: float
    tilt_axis: float


class TiltScheme(NamedTuple):
    """Tilt angles in degrees; lamellae have an asymmetric range around their pre-tilt."""

    tilt_min: float
    tilt_max: float
    step: float


class Reconstruction(NamedTuple):
    """How a tomogram was made from its tilt series."""

    method: str  # tomogram_reconstruction_method_enum
    software: str
    fiducial_status: str  # fiducial_alignment_status_enum
    alignment_method: str  # alignment_method_type_enum


MICROSCOPES = [
    Microscope("TFS", "Krios G4", 300000, "Selectris X", None, None, "Tomography 5", 2.7),
    Microscope("FEI", "Titan Krios", 300000, "GIF Quantum LS", None, None, "SerialEM", 2.7),
    Microscope("JEOL", "CRYO ARM 300", 300000, "In-column Omega", None, None, "SerialEM", 2.7),
    Microscope("TFS", "Glacios", 200000, "None", None, None, "SerialEM", 2.7),
    Microscope(
        "FEI", "Titan Krios", 300000, "GIF Quantum LS", "Volta Phase Plate", None, "SerialEM", 2.7
    ),
    Microscope(
        "TFS", "Titan Krios G3i", 300000, "BioQuantum K3", None, "Cs corrector", "SerialEM", 0.01
    ),
]
CAMERAS = [
    Camera("Gatan", "K3", 1.348, 84.7),
    Camera("TFS", "Falcon 4i", 1.54, -95.5),
    Camera("Gatan", "K2 Summit", 2.17, 85.3),
    Camera("DECTRIS", "ELA", 1.96, 178.4),
    Camera("TFS", "Falcon 4", 1.6, -94.8),
]
TILT_SCHEMES = [
    TiltScheme(-60.0, 60.0, 3.0),
    TiltScheme(-50.0, 50.0, 2.0),
    TiltScheme(-48.0, 72.0, 3.0),
    TiltScheme(-45.0, 45.0, 3.0),
    TiltScheme(-65.0, 65.0, 2.0),
    TiltScheme(-54.0, 54.0, 3.0),
]
RECONSTRUCTIONS = [
    Reconstruction("WBP", "IMOD", "FIDUCIAL", "fiducial_based"),
    Reconstruction("SIRT", "IMOD", "FIDUCIAL", "fiducial_based"),
    Reconstruction("Fourier_Space", "Warp", "NON_FIDUCIAL", "patch_tracking"),
    Reconstruction("WBP", "novaCTF", "FIDUCIAL", "fiducial_based"),
    Reconstruction("SART", "AreTomo3", "NON_FIDUCIAL", "patch_tracking"),
]
# The portal's own reprocessing of every run, on its own (local) alignment.
PORTAL_STANDARD = Reconstruction("SART", "AreTomo3", "NON_FIDUCIAL", "projection_matching")


TILT_QUALITIES = (5, 4, 3, 5, 2, 4, 1, 3)


def mixed_imaging(dataset_index: int) -> bool:
    """Whether a dataset's runs alternate between two cameras and tilt schemes."""
    return dataset_index % 4 == 1


def tilt_quality(dataset_index: int, run_index: int) -> int:
    """Tilt-series quality (1-5) of a run."""
    return TILT_QUALITIES[(3 * dataset_index + run_index) % len(TILT_QUALITIES)]


def empiar_entry(dataset_index: int) -> str | None:
    """The EMPIAR entry of a dataset's tilt series (every third dataset has one)."""
    return f"EMPIAR-{10499 + dataset_index}" if dataset_index % 3 == 0 else None


def imaging(dataset_index: int, run_index: int) -> Row:
    """The ``Tiltseries`` fields of a run's imaging (shared dict: copy before changing).

    The dataset's condition; in a mixed dataset, odd runs use the next camera and tilt
    scheme; one run in seven lost its last tilt.
    """
    d = dataset_index
    n_schemes = len(TILT_SCHEMES)
    camera, scheme = d % len(CAMERAS), (d + d // n_schemes) % n_schemes
    if mixed_imaging(d) and run_index % 2:
        camera, scheme = (camera + 1) % len(CAMERAS), (scheme + 1) % n_schemes
    return _imaging(d % len(MICROSCOPES), camera, scheme, run_index % 7 == 3, empiar_entry(d))


@functools.cache
def _imaging(
    microscope: int, camera: int, scheme: int, dropped_last: bool, empiar: str | None
) -> Row:
    m, c, s = MICROSCOPES[microscope], CAMERAS[camera], TILT_SCHEMES[scheme]
    tilt_max = s.tilt_max - (s.step if dropped_last else 0.0)
    n_tilts = round((tilt_max - s.tilt_min) / s.step) + 1
    start = (s.tilt_min + s.tilt_max) / 2
    return {
        "accelerationVoltage": m.voltage,
        "sphericalAberrationConstant": m.cs,
        "microscopeManufacturer": m.manufacturer,
        "microscopeModel": m.model,
        "microscopeEnergyFilter": m.energy_filter,
        "microscopePhasePlate": m.phase_plate,
        "microscopeImageCorrector": m.image_corrector,
        "microscopeAdditionalInfo": None,
        "cameraManufacturer": c.manufacturer,
        "cameraModel": c.model,
        "tiltMin": s.tilt_min,
        "tiltMax": tilt_max,
        "tiltRange": tilt_max - s.tilt_min,
        "tiltStep": s.step,
        "tiltingScheme": f"dose symmetric from {start:.1f} degrees",
        "tiltAxis": c.tilt_axis,
        "totalFlux": round(3.0 * n_tilts, 1),
        "dataAcquisitionSoftware": m.acquisition_software,
        "relatedEmpiarEntry": empiar,
        "binningFromFrames": 1.0,
        "pixelSpacing": c.pixel_spacing,
        "sizeZ": n_tilts,
    }


def reconstruction(dataset_index: int, run_index: int) -> Reconstruction:
    """How the author's tomograms of a run were made (mixed datasets alternate two ways)."""
    k = dataset_index + (run_index % 2 if mixed_imaging(dataset_index) else 0)
    return RECONSTRUCTIONS[k % len(RECONSTRUCTIONS)]
