"""Qt-free readers turning portal files and downloads into napari LayerData tuples.

Every layer carries ``scale`` in Angstrom, so tomograms, points, vectors and masks line
up in one world space. Local paths and http(s) / s3 URLs are read alike.
"""

from .annotations import read_annotation_file
from .errors import NotOurs, ReaderError
from .folders import open_folder
from .layers import LayerData
from .ndjson import PointAnnotations, parse_ndjson
from .run import open_files, open_run
from .tomogram import read_tomogram

__all__ = [
    "LayerData",
    "NotOurs",
    "PointAnnotations",
    "ReaderError",
    "open_files",
    "open_folder",
    "open_run",
    "parse_ndjson",
    "read_annotation_file",
    "read_tomogram",
]
