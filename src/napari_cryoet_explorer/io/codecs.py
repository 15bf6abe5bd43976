"""Which zarr arrays are read: numbers, through an allow-list of codecs of our own.

zarr decodes a chunk with whatever codecs the array's metadata names, and numcodecs
holds codecs that turn bytes into Python objects: ``pickle`` runs code while it
unpickles, and ``json2``, ``msgpack2``, ``vlen-*`` and ``categorize`` build objects or
strings that napari cannot draw. A downloaded ``.zarray`` or ``zarr.json`` chooses
them, so before an array is opened its metadata is read here as plain JSON and every
codec it names, at any depth (``sharding_indexed`` nests two lists), is checked against
the codecs below: the portal's blosc and the compressors, byte-level filters and
checksums of standard OME-Zarr, all of which decode numbers to numbers. The array's
data type must be a real number or bool type. zarr's own parse of the metadata is
checked the same way (:func:`check_array`), so consolidated metadata that disagrees
with the array's file cannot slip past.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from .errors import ReaderError

# numcodecs ids (zarr format 2 ``compressor`` and ``filters``; zarr 3 ``numcodecs.<id>``):
# compressors, filters that map numbers to numbers, and checksums.
NUMCODECS = frozenset(
    {
        "blosc",
        "zstd",
        "gzip",
        "zlib",
        "lz4",
        "bz2",
        "lzma",
        "delta",
        "shuffle",
        "fixedscaleoffset",
        "quantize",
        "bitround",
        "crc32",
        "crc32c",
        "adler32",
        "fletcher32",
    }
)
# zarr format 3 codec names (the specification's, as zarr-python writes them).
ZARR3_CODECS = frozenset(
    {"bytes", "transpose", "sharding_indexed", "blosc", "gzip", "zstd", "crc32c"}
)
# Data types napari can draw: bools, integers and real floats.
ZARR3_DATA_TYPES = frozenset(
    {
        "bool",
        "int8",
        "int16",
        "int32",
        "int64",
        "uint8",
        "uint16",
        "uint32",
        "uint64",
        "float16",
        "float32",
        "float64",
    }
)
NUMERIC_KINDS = "biuf"
# Why some well-known codecs are refused, for the message.
_WHY = {
    "pickle": "unpickling can run code",
    "json2": "it decodes to Python objects",
    "msgpack2": "it decodes to Python objects",
    "vlen-utf8": "it decodes to strings",
    "vlen-bytes": "it decodes to byte strings",
    "vlen-array": "it decodes to Python objects",
    "categorize": "it decodes to strings",
}


def _refuse_codec(name: Any, where: str) -> ReaderError:
    why = _WHY.get(str(name).removeprefix("numcodecs."))
    reason = f" ({why})" if why else ""
    return ReaderError(
        f"{where}: codec {name!r} is not read by this plugin{reason}; it reads "
        f"{', '.join(sorted(NUMCODECS | ZARR3_CODECS))}"
    )


def _v2_codec(entry: Any, where: str) -> None:
    if entry is None:
        return
    codec_id = entry.get("id") if isinstance(entry, Mapping) else None
    if not isinstance(codec_id, str) or codec_id not in NUMCODECS:
        raise _refuse_codec(codec_id if codec_id is not None else entry, where)


def _v3_codecs(codecs: Any, where: str) -> None:
    if not isinstance(codecs, list | tuple):
        raise ReaderError(f"{where}: 'codecs' is not a list")
    for entry in codecs:
        name = entry if isinstance(entry, str) else None
        config: Any = {}
        if isinstance(entry, Mapping):
            name, config = entry.get("name"), entry.get("configuration") or {}
        if not isinstance(name, str):
            raise _refuse_codec(entry, where)
        bare = name.removeprefix("numcodecs.")
        if name not in ZARR3_CODECS and not (name != bare and bare in NUMCODECS):
            raise _refuse_codec(name, where)
        if name == "sharding_indexed":
            if not isinstance(config, Mapping):
                raise ReaderError(f"{where}: sharding_indexed has no configuration")
            _v3_codecs(config.get("codecs", []), where)
            _v3_codecs(config.get("index_codecs", []), where)


def _v2_dtype(value: Any, where: str) -> None:
    kind = None
    if isinstance(value, str):  # a structured dtype is a list: refused below
        try:
            kind = np.dtype(value).kind
        except (TypeError, ValueError):
            kind = None
    if kind is None or kind not in NUMERIC_KINDS:
        raise ReaderError(
            f"{where}: data type {value!r} is not numeric; only arrays of numbers are read"
        )


def check_array_metadata(doc: Any, where: str) -> None:
    """Refuse an array whose metadata names a codec or data type we do not read.

    Parameters
    ----------
    doc : Any
        The array's metadata as parsed JSON: a ``.zarray`` (zarr format 2) or an array's
        ``zarr.json`` (format 3).
    where : str
        The metadata file or array, for messages.

    Raises
    ------
    ReaderError
        Not an array's metadata, a data type that is not a real number or bool, a codec
        outside the allow-list, or storage transformers; the message names ``where``
        and the codec or type.
    """
    if not isinstance(doc, Mapping):
        raise ReaderError(f"{where}: array metadata is not a JSON object")
    if doc.get("zarr_format") == 3:
        data_type = doc.get("data_type")
        if not isinstance(data_type, str) or data_type not in ZARR3_DATA_TYPES:
            raise ReaderError(
                f"{where}: data type {data_type!r} is not numeric; only arrays of numbers are read"
            )
        if doc.get("storage_transformers"):
            raise ReaderError(f"{where}: storage transformers are not read by this plugin")
        _v3_codecs(doc.get("codecs"), where)
        return
    _v2_dtype(doc.get("dtype"), where)
    _v2_codec(doc.get("compressor"), where)
    filters = doc.get("filters")
    if filters is not None and not isinstance(filters, list | tuple):
        raise ReaderError(f"{where}: 'filters' is not a list")
    for entry in filters or []:
        _v2_codec(entry, where)


def check_array(array: Any, where: str) -> None:
    """:func:`check_array_metadata` on the metadata zarr parsed for ``array``.

    Raises
    ------
    ReaderError
        As :func:`check_array_metadata`.
    """
    try:
        doc = array.metadata.to_dict()
    except Exception as exc:  # a metadata class zarr cannot render is not ours to read
        raise ReaderError(f"{where}: array metadata cannot be read ({exc})") from exc
    check_array_metadata(doc, where)


__all__ = [
    "NUMCODECS",
    "ZARR3_CODECS",
    "ZARR3_DATA_TYPES",
    "check_array",
    "check_array_metadata",
]
