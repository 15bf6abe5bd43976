"""The metadata panel's side of a selection: a node's sections, completed in a worker by
one request for its details, and its key photo; both fetched once and kept."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, is_dataclass
from typing import TYPE_CHECKING, Any

from ..net.sources import read_bytes
from ..portal.details import has_details
from ..portal.models import Annotation, Dataset, Run, Tomogram, VoxelSpacing
from ..portal.sections import all_fields_section, initial_node, kind_of, sections_for
from . import portal_jobs

if TYPE_CHECKING:
    from .widget import ExplorerWidget


class NodeDetails:
    """Fills the widget's metadata panel for the selected node."""

    def __init__(self, widget: ExplorerWidget) -> None:
        self.widget = widget
        self._photos: dict[str, bytes] = {}
        self._photo_wanted: str | None = None
        self._details: dict[tuple[str, Any], Mapping[str, Any]] = {}
        self._details_wanted: tuple[str, Any] | None = None

    def show_metadata(self, title: str, model: Any) -> None:
        """The node's sections from what its model holds, completed in a worker by one
        request for its details (kept, so reselecting costs nothing)."""
        kind = kind_of(model) or ""
        raw = all_fields_section(fields_of(model))
        key = (self.widget.url, model)
        cached = self._details.get(key)
        node = cached if cached is not None else initial_node(model)
        self.widget.metadata.show_sections(title, [*sections_for(kind, node), raw])
        self.widget.metadata.show_notice()
        self._details_wanted = key
        if cached is not None or not has_details(model):
            return
        url = self.widget.url
        self.widget.metadata.show_notice(f"loading details from {url}…")

        def loaded(details: Mapping[str, Any]) -> None:
            self._details[key] = details
            if self._details_wanted == key:  # answers for another node are dropped
                self.widget.metadata.show_sections(
                    title, [*sections_for(kind, details), raw], keep_state=True
                )
                self.widget.metadata.show_notice()

        def failed(exc: BaseException) -> None:
            if self._details_wanted == key:
                message = str(exc) or type(exc).__name__
                where = "" if url in message else f" from {url}"
                self.widget.metadata.show_notice(
                    f"details unavailable{where}: {message}", error=True
                )

        self.widget.jobs.start(portal_jobs.details, url, model, returned=loaded, errored=failed)

    def show_key_photo(self, url: str | None) -> None:
        """Show the selected node's key photo, fetched once in a worker and kept."""
        self.widget.metadata.show_photo(None)
        self._photo_wanted = url
        if url is None:
            return
        if url in self._photos:
            self.widget.metadata.show_photo(self._photos[url], url)
            return

        def loaded(image: bytes) -> None:
            self._photos[url] = image
            if self._photo_wanted == url:
                self.widget.metadata.show_photo(image, url)

        def failed(exc: BaseException) -> None:
            if self._photo_wanted == url:
                self.widget.metadata.show_photo_error(f"key photo unavailable: {url} ({exc})")

        self.widget.jobs.start(read_bytes, url, returned=loaded, errored=failed)


def fields_of(model: Any) -> dict[str, Any]:
    """Every field of a model for the metadata panel (nested models summarised)."""
    fields = dict(getattr(model, "fields", {}) or {})
    if isinstance(model, Run):
        fields["voxelSpacings"] = [v.voxel_spacing for v in model.voxel_spacings]
        fields["tiltSeriesQuality"] = model.tilt_series_quality
    if isinstance(model, Annotation):
        fields["shapes"] = {
            s.shape_type: {f"file {f.id}": dict(f.fields) for f in s.files} for s in model.shapes
        }
    if not fields and is_dataclass(model) and not isinstance(model, type):
        fields = asdict(model)
    if isinstance(model, Tomogram | VoxelSpacing | Dataset) and not fields:
        fields = asdict(model)
    return fields


def key_photo_url(model: Any) -> str | None:
    """The key-photo thumbnail of a dataset or tomogram, if it has one."""
    if isinstance(model, Dataset):
        return model.key_photo_thumbnail_url
    if isinstance(model, Tomogram):
        return model.thumbnail_url
    return None
