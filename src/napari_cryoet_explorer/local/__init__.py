"""Qt-free reading of downloaded portal trees into the portal models."""
