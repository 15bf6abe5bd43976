"""Qt widgets. The only package that may import qtpy or napari's Qt parts."""
