"""Browse the CryoET Data Portal and local downloads in napari."""

__version__ = "0.1.0"
