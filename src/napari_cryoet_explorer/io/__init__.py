"""Qt-free readers turning portal files into napari LayerData tuples."""
