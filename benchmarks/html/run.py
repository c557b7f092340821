"""report.html for a 10,000-result run: writing it, its size, and the page in headless Chromium.

Targets (issue 15): writing report.html takes at most 2 s, and the run that writes it stays within
issue 10's peak RSS bound (100 MB at 10,000 results); the file is at most 1.5x the run's raw
data (journal.jsonl: since record schema 3 run.json keeps summaries, the journal the exchanges); in
headless Chromium the overview shows within 2 s of navigation and a filter over all rows applies
within 300 ms (rows drawn lazily); the browser's peak memory is reported.

The run is real: one `benchlab run` on the replay backend over a generated pack of N scenarios,
each answered with about 2 KB of content and 4 KB of reasoning (seeded English-like prose with
some code, so `<` and `&` occur). Then:

- the run's peak RSS and wall time (wait4), which include writing run.json and every report;
- `benchlab report RUN` (load run.json, render, each transcript read from the journal as it is
  written) timed the same way, and the reporter's
  write alone, timed in-process on the loaded record (median of R);
- the page in Chromium (tests/chromium.py): navigation to the overview (the page's script marks
  the moment the header, the charts and the first rows are drawn; the transcripts follow it in the
  file and are still being read), first contentful paint, DOMContentLoaded (everything read), a facet filter over all rows and a text search (the first search parses the transcripts),
  opening one transcript, sampling the browser's process tree RSS throughout.

    python benchmarks/html/run.py                                  # 10,000 results, 5 timings each
    python benchmarks/html/run.py -n 300 -r 1 --results /tmp/r.md  # a quick check
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(HERE.parent / "overhead"))
sys.path.insert(0, str(REPO / "tests"))
from measure import run_measured  # noqa: E402  (spawn-to-exit wall time, wait4 peak RSS)
from report import machine_facts  # noqa: E402

WRITE_LIMIT_S = 2.0
RUN_RSS_LIMIT_MB = 100.0
SIZE_RATIO_LIMIT = 1.5
OVERVIEW_LIMIT_MS = 2000.0
FILTER_LIMIT_MS = 300.0

WORDS = ("the model answer returns value list function because result each first would check should when "
         "parse number string error call tool argument schema field order table since then other which "
         "however therefore consider case input output test expected given step data").split()


def prose(rng: random.Random, size: int) -> str:
    """About ``size`` characters of sentences, with a code line now and then."""
    parts, length = [], 0
    while length < size:
        if rng.random() < 0.08:
            line = f"\n```python\nif x < {rng.randint(1, 99)} and y & 1:\n    return f(x) > 0\n```\n"
        else:
            line = " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 18))).capitalize() + ". "
        parts.append(line)
        length += len(line)
    return "".join(parts)[:size]


def build(work: Path, n: int) -> tuple[Path, Path]:
    rng = random.Random(15)
    pack = work / "pack" / "html-bench"
    pack.mkdir(parents=True)
    (pack / "pack.toml").write_text('id = "html-bench"\nversion = "1.0.0"\ntitle = "HTML-bench"\ndimension = "bench"\n'
                                    "default_thinking = true\ndefault_max_seconds = 30\n")
    with (pack / "scenarios.jsonl").open("w") as scenarios, (work / "replay.jsonl").open("w") as replay:
        for i in range(n):
            scenarios.write(json.dumps({"id": f"S{i:05d}", "messages": [{"role": "user", "content": f"Question {i}: {prose(rng, 300)}"}],
                                        "verifier": {"kind": "regex", "pattern": f"ANSWER {i}\\b"}}) + "\n")
            right = rng.random() < 0.7
            content = prose(rng, 2000) + f"\nANSWER {i if right else i + 1}"
            replay.write(json.dumps({"scenario": f"html-bench/S{i:05d}", "content": content, "reasoning": prose(rng, 4000)}) + "\n")
    return pack, work / "replay.jsonl"


# The reporter alone on the loaded record: wall and CPU time, and how much the writing adds to the
# process's peak RSS beyond the record it renders (the page is streamed, never held whole).
WRITE_ONLY = """
import json, resource, sys, time
from pathlib import Path
from benchlab.records import load_run
from benchlab.plugins.reporters.html import REPORTER
record = load_run(Path(sys.argv[1]))
loaded = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
walls, cpus = [], []
for _ in range(int(sys.argv[2])):
    start, cpu = time.perf_counter(), time.process_time()
    REPORTER.write(record, Path(sys.argv[1]))
    walls.append(time.perf_counter() - start)
    cpus.append(time.process_time() - cpu)
added = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - loaded) / 1024
print(json.dumps({"walls": walls, "cpus": cpus, "loaded_mb": loaded / 1024, "added_mb": added}))
"""


def browser_numbers(page: Path, repeats: int) -> dict[str, Any]:
    from chromium import Browser, find_chromium

    binary = find_chromium()
    if binary is None:
        raise SystemExit("no chromium on PATH (apt-get install chromium)")
    browser = Browser(binary)
    peak = [browser.process_rss_mb()]
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            peak.append(browser.process_rss_mb())
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    rows: dict[str, list[float]] = {"navigation_to_overview_ms": [], "first_paint_ms": [], "navigation_to_all_read_ms": [], "load_wall_ms": [],
                                    "filter_ms": [], "filter_back_ms": [], "first_search_ms": [], "search_ms": [], "open_ms": []}
    drawn = []
    try:
        for _ in range(repeats):
            tab = browser.new_tab()
            started = time.perf_counter()
            tab.open(page.resolve().as_uri(), timeout=300)
            rows["load_wall_ms"].append((time.perf_counter() - started) * 1000)
            timing = tab.evaluate("""(() => { const nav = performance.getEntriesByType('navigation')[0];
                const paint = performance.getEntriesByType('paint').find(p => p.name === 'first-contentful-paint');
                const overview = performance.getEntriesByName('benchlab-overview')[0];
                return [overview.startTime, paint ? paint.startTime : null, nav.domContentLoadedEventEnd,
                        document.querySelectorAll('#results tbody tr').length]; })()""")
            rows["navigation_to_overview_ms"].append(timing[0])
            if timing[1] is not None:
                rows["first_paint_ms"].append(timing[1])
            rows["navigation_to_all_read_ms"].append(timing[2])
            drawn.append(timing[3])
            for key, value in (("filter_ms", "fail"), ("filter_back_ms", "")):
                rows[key].append(tab.evaluate(f"""(() => {{ const s = document.querySelector('select[data-facet="verdict"]');
                    const t0 = performance.now(); s.value = '{value}'; s.dispatchEvent(new Event('change', {{bubbles: true}}));
                    document.body.offsetHeight; return performance.now() - t0; }})()"""))
            for key, text in (("first_search_ms", "answer 12"), ("search_ms", "therefore consider")):
                rows[key].append(tab.evaluate(f"""(() => {{ const i = document.querySelector('[data-search]');
                    const t0 = performance.now(); i.value = '{text}'; i.form.requestSubmit();
                    document.body.offsetHeight; return performance.now() - t0; }})()""", timeout=300))
            rows["open_ms"].append(tab.evaluate("""(() => { const b = document.querySelector('#results button.open');
                const t0 = performance.now(); b.click(); document.body.offsetHeight; return performance.now() - t0; })()"""))
            errors = tab.errors()
            if errors:
                raise SystemExit(f"the page logged errors: {errors[:3]}")
            tab.close()
    finally:
        stop.set()
        sampler.join()
        browser.close()
    result: dict[str, Any] = {k: statistics.median(v) for k, v in rows.items() if v}
    result["rows_drawn"] = max(drawn)
    result["browser_peak_rss_mb"] = max(peak)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=10_000, help="results in the run (default 10,000)")
    parser.add_argument("-r", type=int, default=5, help="timings of each step (medians)")
    parser.add_argument("--results", type=Path, default=HERE / "RESULTS.md")
    parser.add_argument("--json", type=Path, help="also write the numbers as JSON here")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="benchlab-html-bench-"))
    pack, replay = build(work, args.n)
    out = work / "out"
    run = run_measured([sys.executable, "-m", "benchlab", "run", "--pack", str(pack), "--replay", str(replay), "--out", str(out),
                        "--no-progress", "--format", "junit"], work / "logs", "run")
    if run.returncode != 0:
        raise SystemExit(f"the run failed:\n{run.tail()}")
    [folder] = [p for p in out.iterdir() if (p / "run.json").is_file()]
    report_runs = [run_measured([sys.executable, "-m", "benchlab", "report", str(folder)], work / "logs", f"report-{i}") for i in range(args.r)]
    if any(r.returncode for r in report_runs):
        raise SystemExit(f"benchlab report failed:\n{report_runs[0].tail()}")
    write = subprocess.run([sys.executable, "-c", WRITE_ONLY, str(folder), str(args.r)], capture_output=True, text=True, check=True)
    written = json.loads(write.stdout)
    sizes = {"run_json_mb": (folder / "run.json").stat().st_size / 1e6, "journal_mb": (folder / "journal.jsonl").stat().st_size / 1e6,
             "report_html_mb": (folder / "report.html").stat().st_size / 1e6}
    browser = browser_numbers(folder / "report.html", args.r)
    numbers = {
        "n": args.n, "run_wall_s": run.wall_s, "run_peak_rss_mb": run.maxrss_kb / 1024,
        "write_s": statistics.median(written["walls"]), "write_max_s": max(written["walls"]),
        "write_cpu_s": statistics.median(written["cpus"]), "record_loaded_rss_mb": written["loaded_mb"],
        "write_added_rss_mb": written["added_mb"],
        "report_command_s": statistics.median(r.wall_s for r in report_runs),
        "report_command_peak_rss_mb": max(r.maxrss_kb for r in report_runs) / 1024,
        **sizes, "size_ratio": sizes["report_html_mb"] / sizes["journal_mb"], **browser,
    }
    write_results(args.results, numbers, machine_facts(sys.executable))
    if args.json:
        args.json.write_text(json.dumps(numbers, indent=1))
    print(args.results.read_text())


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def write_results(path: Path, x: dict[str, Any], machine: dict[str, str]) -> None:
    load = Path("/proc/loadavg").read_text().split()[:3] if Path("/proc/loadavg").is_file() else ["?"] * 3
    rows = [
        ("Writing report.html (the reporter, record in memory), wall: the slowest of the repeats (median, CPU)", f"{x['write_max_s']:.2f} s (median {x['write_s']:.2f} s; CPU {x['write_cpu_s']:.2f} s)", f"<= {WRITE_LIMIT_S:g} s", verdict(x["write_max_s"] <= WRITE_LIMIT_S)),
        ("The run's peak RSS (`benchlab run`, all reports included)", f"{x['run_peak_rss_mb']:.0f} MB", f"<= {RUN_RSS_LIMIT_MB:g} MB", verdict(x["run_peak_rss_mb"] <= RUN_RSS_LIMIT_MB)),
        ("report.html / journal.jsonl (the run's raw data)", f"{x['report_html_mb']:.1f} MB / {x['journal_mb']:.1f} MB = {x['size_ratio']:.2f}x (run.json: {x['run_json_mb']:.1f} MB)", f"<= {SIZE_RATIO_LIMIT:g}x", verdict(x["size_ratio"] <= SIZE_RATIO_LIMIT)),
        ("Chromium: navigation to the overview and first rows drawn, median", f"{x['navigation_to_overview_ms']:.0f} ms", f"<= {OVERVIEW_LIMIT_MS:g} ms", verdict(x["navigation_to_overview_ms"] <= OVERVIEW_LIMIT_MS)),
        ("Chromium: a filter over all rows (verdict = fail), median", f"{x['filter_ms']:.0f} ms", f"<= {FILTER_LIMIT_MS:g} ms", verdict(x["filter_ms"] <= FILTER_LIMIT_MS)),
    ]
    lines = [
        "# benchmarks/html: report.html for a run of many results", "",
        f"`python benchmarks/html/run.py -n {x['n']}`: one replay run of {x['n']:,} results (about 2 KB of content and "
        "4 KB of reasoning each), its report.html, the page in headless Chromium. Medians of the repeats.", "",
        "| What | Measured | Target | Verdict |", "| --- | --- | --- | --- |",
        *[f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows], "",
        "Also measured (no target):", "",
        f"- the reporter's own memory: the process held {x['record_loaded_rss_mb']:.0f} MB once the record was loaded; "
        f"writing the page added {x['write_added_rss_mb']:.0f} MB to its peak (the page is streamed a chunk of "
        "transcripts at a time, each read from the journal as it is written)",
        f"- the run's wall time: {x['run_wall_s']:.1f} s; `benchlab report RUN` (start, load run.json, render, write, the transcripts read from the journal): "
        f"{x['report_command_s']:.2f} s, peak RSS {x['report_command_peak_rss_mb']:.0f} MB",
        f"- Chromium: first contentful paint {x.get('first_paint_ms', float('nan')):.0f} ms; every transcript read "
        f"(DOMContentLoaded): {x['navigation_to_all_read_ms']:.0f} ms; navigation to the load event, wall: {x['load_wall_ms']:.0f} ms; rows in the document after load: {x['rows_drawn']} (drawn {100} at a time)",
        f"- Chromium: the filter cleared again {x['filter_back_ms']:.0f} ms; the first text search (parses every transcript): "
        f"{x['first_search_ms']:.0f} ms; a later search: {x['search_ms']:.0f} ms; opening a transcript: {x['open_ms']:.0f} ms",
        f"- Chromium's peak memory (every process of the browser, RSS sampled every 50 ms): {x['browser_peak_rss_mb']:.0f} MB", "",
        f"Load average when measured: {' '.join(load)}.", "",
        "Machine: " + ", ".join(f"{k} {v}" for k, v in machine.items()), "",
    ]
    path.write_text("\n".join(lines))


if __name__ == "__main__":
    main()
