"""Synthetic portal data, written in the portal's real formats: entity rows for the
replica's ``portal.json`` and the files they name (OME-Zarr and MRC tomograms, ndJSON
points, masks, meshes, tilt series), from presets sized for tests, the demo and scale
benchmarks. The replica serves what is written here; nothing here serves anything."""
