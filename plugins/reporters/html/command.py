"""``benchlab report``: write a page again from saved records, never contacting an endpoint.

    benchlab report RUN [--open]              # the run's report.html, re-rendered (a comparison's or ladder's too)
    benchlab report --diff RUN_A RUN_B        # a diff page (diff-A-vs-B.html in --out)
    benchlab report --index                   # index.html in --out: every run in the history index
"""

from __future__ import annotations

import sys
from contextlib import closing
from pathlib import Path
from typing import Any, Optional, Tuple

import typer

from benchlab.cli.options import PLUGIN, RUNS_OUT, with_options


def register_report(app: typer.Typer) -> None:
    @app.command()
    @with_options(RUNS_OUT, PLUGIN)
    def report(
        out: Any,
        plugin: Any,
        run: Optional[str] = typer.Argument(None, help="A run id under --out, or a run folder's path: its report.html is written again; a comparison folder (compare-<id>): its report.html; a ladder run: its report.html."),
        diff: Optional[Tuple[str, str]] = typer.Option(None, "--diff", metavar="RUN_A RUN_B", help="A page of what changed from RUN_A to RUN_B."),
        index: bool = typer.Option(False, "--index", help="index.html in --out: every indexed run, filterable by model and pack, each pack's score over time."),
        output: Optional[Path] = typer.Option(None, "--output", help="Where to write the page (default: the run folder's report.html, --out/diff-A-vs-B.html, --out/index.html)."),
        open_page: bool = typer.Option(False, "--open", help="Open the page in your browser once written."),
    ) -> None:
        """Write a self-contained HTML page: a run, a diff of two runs, or the index of every run."""
        from benchlab.errors import BenchlabError
        from benchlab.plugins.reporters.html.page import write_page

        asked = [name for name, given in (("RUN", run is not None), ("--diff", bool(diff and diff[0])), ("--index", index)) if given]
        if len(asked) != 1:
            raise BenchlabError("benchlab report takes one of RUN, --diff RUN_A RUN_B or --index"
                                + (f" (got {' and '.join(asked)})" if asked else ""))
        if run is not None:
            page, path = _run(run, out)
        elif index:
            page, path = _index(out)
        else:
            assert diff is not None
            page, path = _diff(diff[0], diff[1], out)
        written = write_page(page, output or path)
        print(written)
        if open_page:
            _open(written)


def _run(ref: str, out: Path) -> tuple[Any, Path]:
    """A run's page, a comparison's when RUN names a comparison folder (``compare-<id>``), or a ladder run's."""
    from benchlab.plugins.reporters.html import REPORT_FILE
    from benchlab.plugins.reporters.html.compare_page import PAGE_FILE, compare_page, is_comparison_folder, load_comparison
    from benchlab.plugins.reporters.html.run_page import run_page
    from benchlab.records import load_run
    from benchlab.run_ref import resolve_run

    from benchlab.ladder import ladder_folder
    from benchlab.plugins.reporters.html.ladder_page import ladder_page

    for candidate in (Path(ref).expanduser(), out / ref):
        if is_comparison_folder(candidate):
            return compare_page(*load_comparison(candidate)), candidate / PAGE_FILE
    ladder_dir = ladder_folder(ref, out)
    if ladder_dir is not None:
        return ladder_page(ladder_dir), ladder_dir / REPORT_FILE
    folder = resolve_run(ref, out)
    return run_page(load_run(folder), folder), folder / REPORT_FILE


def _diff(ref_a: str, ref_b: str, out: Path) -> tuple[Any, Path]:
    from benchlab.diff import diff_runs
    from benchlab.plugins.reporters.html.diff_page import diff_page
    from benchlab.records import load_run
    from benchlab.run_ref import is_folder_name, resolve_run

    folder_a, folder_b = resolve_run(ref_a, out), resolve_run(ref_b, out)
    a, b = load_run(folder_a), load_run(folder_b)
    name = f"diff-{a.run_id}-vs-{b.run_id}.html" if is_folder_name(a.run_id) and is_folder_name(b.run_id) else "diff.html"
    return diff_page(diff_runs(a, b), (folder_a, folder_b)), out / name


def _index(out: Path) -> tuple[Any, Path]:
    from benchlab.history import open_index
    from benchlab.history_query import Filters, list_runs
    from benchlab.plugins.reporters.html.index_page import index_page

    with closing(open_index(out)) as db:
        runs = list_runs(db, out, Filters())
    return index_page(runs, out), out / "index.html"


def _open(path: Path) -> None:
    """Hand the page to the user's browser, always saying which page: webbrowser.open can return
    True when nothing opened (a headless machine's fallback), and the path is then the only way in."""
    import webbrowser

    if webbrowser.open(path.resolve().as_uri()):
        print(f"benchlab: opening {path} in your browser", file=sys.stderr)
    else:
        print(f"benchlab: warning: no browser could be started; open {path} yourself", file=sys.stderr)
