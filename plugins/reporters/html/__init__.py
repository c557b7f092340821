"""Self-contained HTML pages: ``report.html`` in every run folder, comparison folder and ladder
run, and ``benchlab report`` (re-render a run, a comparison or a ladder, a diff of two runs, the
index of every run under ``--out``).

Every page is one file with its style, script and data inline and a Content-Security-Policy
that lets nothing else load or run (``page.py``); charts are inline SVG (``charts.py``);
model text is data, rendered as text (``embed.py``, ``static/page.js``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from benchlab.model import RunRecord

REPORT_FILE = "report.html"


class HtmlReporter:
    """``report.html`` in the run folder."""

    def write(self, record: RunRecord, run_dir: Path) -> None:
        from benchlab.plugins.reporters.html.page import write_page
        from benchlab.plugins.reporters.html.run_page import run_page

        write_page(run_page(record, run_dir), run_dir / REPORT_FILE)

    def write_comparison(self, comparison: Any, heading: Any, folder: Path) -> None:
        """``report.html`` in a comparison's folder, written when ``benchlab compare`` ends."""
        from benchlab.plugins.reporters.html.compare_page import PAGE_FILE, compare_page
        from benchlab.plugins.reporters.html.page import write_page

        write_page(compare_page(comparison, heading.compare_id, list(heading.missing)), folder / PAGE_FILE)

    def write_ladder(self, run_dir: Path) -> None:
        """``report.html`` in a ladder run's folder, written when ``benchlab ladder`` ends."""
        from benchlab.plugins.reporters.html.ladder_page import ladder_page
        from benchlab.plugins.reporters.html.page import write_page

        write_page(ladder_page(run_dir), run_dir / REPORT_FILE)


REPORTER = HtmlReporter()
