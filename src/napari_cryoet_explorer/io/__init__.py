"""Qt-free readers turning portal files into napari LayerData tuples."""

from .annotations import read_annotation_file
from .errors import ReaderError
from .layers import LayerData
from .tomogram import read_tomogram

__all__ = ["LayerData", "ReaderError", "read_annotation_file", "read_tomogram"]
