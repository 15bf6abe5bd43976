"""GLB triangle meshes (the portal's ``Mesh`` annotations) as napari surface layers.

The portal's convention: a ``_triangularmesh.glb`` holds vertices as x, y, z in voxels
of the voxel spacing its annotation file belongs to, origin at voxel (0, 0, 0), exactly
like the locations of its ndJSON points. The portal's Neuroglancer view converts the
GLB to precomputed meshes without scaling them (resolution 1, identity transform) and
gives the mesh layer's source one unit = the annotation's voxel spacing, the same as its
point layers. So a mesh needs only the axis order turned to zyx and the layer's
``scale`` set to the voxel spacing to line up with tomograms in Angstrom.
"""

from __future__ import annotations

import io
import json
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from .colors import object_color
from .errors import ReaderError
from .layers import LayerData, surface_layer
from .regular_files import read_bytes

GLB_MAGIC = b"glTF"
_JSON_CHUNK = 0x4E4F534A  # "JSON", little-endian


@dataclass(frozen=True)
class Mesh:
    """Triangles of a GLB, every part in one array.

    Attributes
    ----------
    vertices_zyx : ndarray
        ``(N, 3)`` float vertex positions, z, y, x (the file's units).
    faces : ndarray
        ``(M, 3)`` int vertex indices of each triangle.
    parts : int
        Meshes of the file placed in its scene (a mesh group has several).
    """

    vertices_zyx: np.ndarray
    faces: np.ndarray
    parts: int


def _outside_files(raw: bytes) -> list[str]:
    """URIs of buffers and images a GLB's JSON chunk names outside the file itself.

    Only ``data:`` URIs (embedded bytes) are read; a reader that followed the others
    would open files beside the GLB or fetch URLs.
    """
    try:
        length, kind = struct.unpack_from("<II", raw, 12)
        doc = json.loads(raw[20 : 20 + length]) if kind == _JSON_CHUNK else {}
    except (struct.error, ValueError):
        return []  # broken: the mesh library says how
    if not isinstance(doc, dict):
        return []
    found = []
    for key in ("buffers", "images"):
        entries = doc.get(key)
        for entry in entries if isinstance(entries, list) else []:
            uri = entry.get("uri") if isinstance(entry, dict) else None
            if isinstance(uri, str) and not uri.startswith("data:"):
                found.append(uri)
    return found


def _load_scene(raw: bytes, source: str) -> Any:
    """A trimesh Scene from GLB bytes; nothing outside the bytes is read."""
    import trimesh  # heavy: imported when a mesh is opened

    outside = _outside_files(raw)
    if outside:
        raise ReaderError(
            f"{source}: the GLB refers to outside file(s) {', '.join(outside[:3])}; "
            "only self-contained GLB files are read"
        )
    try:
        # An empty mapping as resolver: should an outside file slip past the check
        # above, it is looked up there, never beside the GLB or on the network.
        return trimesh.load(
            io.BytesIO(raw),
            file_type="glb",
            force="scene",
            resolver={},
            skip_materials=True,
        )
    except Exception as exc:  # trimesh raises many kinds for broken input
        raise ReaderError(f"{source}: broken GLB file ({type(exc).__name__}: {exc})") from None


def read_glb(source: str) -> Mesh:
    """The triangles of a GLB file, node transforms applied, in zyx order.

    Parameters
    ----------
    source : str
        A local path or an http(s) / s3 URL (read through the on-disk cache).

    Raises
    ------
    ReaderError
        Not a GLB, broken, no triangle mesh in it (a point cloud, an empty scene), a mesh
        with no faces, face indices out of range or non-finite vertices; the message
        names the file.
    """
    import trimesh

    try:
        raw = read_bytes(source)
    except OSError as exc:
        raise ReaderError(f"cannot read {source}: {exc}") from exc
    if raw[:4] != GLB_MAGIC:
        raise ReaderError(f"{source} is not a GLB file (it does not start with 'glTF')")
    scene = _load_scene(raw, source)
    vertices: list[np.ndarray] = []
    faces: list[np.ndarray] = []
    offset = 0
    faceless = 0
    others: set[str] = set()
    for node in scene.graph.nodes_geometry:
        transform, geometry_name = scene.graph[node]
        geometry = scene.geometry.get(geometry_name)
        if not isinstance(geometry, trimesh.Trimesh):
            others.add(type(geometry).__name__)
            continue
        tri = np.asarray(geometry.faces, dtype=np.int64).reshape(-1, 3)
        if not len(tri):
            faceless += 1
            continue
        points = np.asarray(geometry.vertices, dtype=np.float64).reshape(-1, 3)
        if tri.min() < 0 or tri.max() >= len(points):
            raise ReaderError(f"{source}: a mesh has face indices beyond its vertices")
        vertices.append(trimesh.transformations.transform_points(points, transform))
        faces.append(tri + offset)
        offset += len(points)
    if not faces:
        if faceless:
            raise ReaderError(f"{source}: the mesh has no faces (no triangles to draw)")
        if others:
            kinds = ", ".join(sorted(others))
            raise ReaderError(f"{source} holds no triangle mesh (only {kinds})")
        raise ReaderError(f"{source} holds no triangle mesh (an empty scene)")
    xyz = np.concatenate(vertices)
    if not np.isfinite(xyz).all():
        raise ReaderError(f"{source}: the mesh has non-finite vertex coordinates")
    # xyz -> zyx mirrors space: reversing each triangle keeps its normal pointing out.
    return Mesh(xyz[:, ::-1].copy(), np.concatenate(faces)[:, ::-1].copy(), len(faces))


def mesh_layer(
    source: str,
    *,
    voxel_spacing: float | None,
    name: str,
    object_name: str,
    metadata: Mapping[str, Any],
) -> LayerData:
    """A GLB mesh as a surface layer in its object's colour, scaled to Angstrom.

    Parameters
    ----------
    source : str
        A ``_triangularmesh.glb``, local or a URL.
    voxel_spacing : float or None
        Angstrom per unit of the file's coordinates; None opens it in voxel units.
    name, object_name : str
        Layer name, and the object whose colour it takes.
    metadata : mapping
        Kept on the layer.
    """
    mesh = read_glb(source)
    meta = {
        **metadata,
        "object_name": object_name,
        "shape_type": "Mesh",
        "n_vertices": len(mesh.vertices_zyx),
        "n_faces": len(mesh.faces),
        "mesh_parts": mesh.parts,
    }
    return surface_layer(
        mesh.vertices_zyx,
        mesh.faces,
        voxel_spacing=voxel_spacing or 1.0,
        name=name,
        color=object_color(object_name),
        metadata=meta,
    )
