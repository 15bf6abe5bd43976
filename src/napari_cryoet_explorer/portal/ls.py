"""``napari-cryoet-explorer ls``: print one level of the portal tree.

``ls`` lists datasets, ``ls 10000`` the runs of dataset 10000, ``ls 10000/TS_001`` its
voxel spacings and tilt series, ``ls 10000/TS_001/13.48`` the tomograms and annotations there, grouped
by alignment. Filters (:class:`~.filters.Filters`) narrow each level on the server;
``--facets`` prints each filter value with the number of datasets that match. Tables
by default, with the portal's columns; ``--json`` prints one object a line with
``kind``, ``id``, ``title`` or ``name``, ``children`` (the number of child nodes) and
the same columns (absent values as ``null``, where tables show ``NA``).

This module asks the portal and prints; the target is read by :mod:`.targets`, the rows
are built by :mod:`.ls_rows` and laid out by :mod:`.ls_tables`.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import replace
from typing import TextIO

from .client import PortalClient
from .errors import PortalError
from .filters import Filters
from .ls_rows import (
    Row,
    contents_rows,
    dataset_rows,
    deposition_rows,
    facet_rows,
    run_rows,
    tilt_series_rows,
    voxel_spacing_rows,
)
from .ls_tables import format_table
from .targets import UsageError, split_target

EXIT_PORTAL_ERROR = 1
EXIT_USAGE = 2


def collect(
    client: PortalClient,
    target: str | None,
    search: str | None = None,
    *,
    filters: Filters | None = None,
    facets: bool = False,
    depositions: bool = False,
) -> list[Row]:
    """The rows ``ls`` prints for ``target`` (one dict a node).

    Parameters
    ----------
    client : PortalClient
        Where to ask.
    target : str, optional
        ``DATASET_ID[/RUN_NAME[/VOXEL_SPACING]]``; None lists datasets.
    search : str, optional
        Free text (the same as ``filters.search``).
    filters : Filters, optional
        Server-side filters: datasets, or the runs of a dataset, that match; under a
        voxel spacing, the matching tomograms and annotations first.
    facets : bool
        Print, instead of the level, each facet value with the number of matching
        datasets (disjunctive counts).
    depositions : bool
        List the depositions instead (``--deposition ID`` then lists what one holds).
    """
    f = filters or Filters()
    if search:
        f = replace(f, search=search)
    dataset_id, run_name, spacing = split_target(target)
    if depositions:
        if dataset_id is not None or not f.is_empty():
            raise UsageError(
                "--depositions lists every deposition: give no target or filter "
                "(--deposition ID lists the datasets of one)"
            )
        return deposition_rows(d for page in client.iter_deposition_pages() for d in page)
    if facets:
        if dataset_id is not None:
            raise UsageError("--facets counts datasets: give no target")
        return facet_rows(client.facets(f))
    if dataset_id is None:
        resolved = client.resolve(f)
        pages = client.iter_filtered_dataset_pages(f, resolved)
        return dataset_rows((d for page in pages for d in page), resolved)
    if run_name is None:
        runs = [r for page in client.iter_filtered_run_pages(dataset_id, f) for r in page]
        if not runs:
            client.dataset(dataset_id)  # tell "no such dataset" from "nothing matches"
        return run_rows(runs)
    run = client.run(dataset_id, run_name)
    if spacing is None:
        return voxel_spacing_rows(run.voxel_spacings) + tilt_series_rows(run.tilt_series)
    contents = client.voxel_spacing_contents(client.find_voxel_spacing(run, spacing).id)
    return contents_rows(contents, f)


def _complain(exc: Exception) -> None:
    message = " ".join(str(exc).splitlines())
    sys.stderr.write(f"napari-cryoet-explorer ls: {message}\n")


def run_ls(
    target: str | None,
    *,
    url: str | None,
    search: str | None = None,
    as_json: bool = False,
    out: TextIO,
    filters: Filters | None = None,
    facets: bool = False,
    depositions: bool = False,
) -> int:
    """Print the level of the tree named by ``target``; return an exit code.

    Parameters
    ----------
    target : str, optional
        ``DATASET_ID[/RUN_NAME[/VOXEL_SPACING]]``; None lists datasets.
    url : str, optional
        GraphQL endpoint; defaults to the public portal.
    search : str, optional
        Server-side search text (datasets, or runs within a dataset).
    as_json : bool
        One JSON object a line instead of a table.
    out : TextIO
        Where to print.
    filters : Filters, optional
        Server-side filters (see :func:`collect`).
    facets : bool
        Print facet counts instead of a level.
    depositions : bool
        List the depositions instead of a level.

    Returns
    -------
    int
        0 on success (a filter that matches nothing says so on stderr), 1 if the
        portal failed or has no such node (a one-line message on stderr names the
        URL), 2 for a malformed target or filter value.
    """
    f = filters or Filters()
    try:
        with PortalClient(url) as client:
            rows = collect(
                client, target, search, filters=f, facets=facets, depositions=depositions
            )
    except PortalError as exc:
        _complain(exc)
        return EXIT_PORTAL_ERROR
    except ValueError as exc:  # a malformed target, search text or filter value
        _complain(exc)
        return EXIT_USAGE
    if not rows and (search or not f.is_empty()):
        chips = [c for _, c in replace(f, search=search or f.search).chips()]
        sys.stderr.write(f"napari-cryoet-explorer ls: nothing matches {'; '.join(chips)}\n")
    try:
        if as_json:
            out.writelines(json.dumps(row) + "\n" for row in rows)
        else:
            out.write(format_table(rows) if rows or f.is_empty() else "")
        out.flush()
    except BrokenPipeError:
        # The reader went away (``ls --json | head``): that is not an error of ours.
        # Point stdout at /dev/null so the interpreter's final flush does not fail too.
        _silence_stdout()
    return 0


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # stdout is not a real file (tests)
        pass
