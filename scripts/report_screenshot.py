"""The README's picture of report.html (docs/report-html.png), made from a real run.

The quick packs answered by the replay backend from their own proofs: mostly gold or alternative
answers, some near misses (the model's failures) and two scenarios with no answer at all (an
infrastructure failure, never the model's), played three times so the bars carry intervals.
The page is opened in headless Chromium (tests/chromium.py), one failed result's transcript
opened, and the viewport captured.

    python scripts/report_screenshot.py [docs/report-html.png]
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
from chromium import Browser, find_chromium  # noqa: E402

PACKS = ("toolcall-15", "instructfollow-15")


def replay_lines(rng: random.Random) -> list[dict]:
    lines = []
    for pack in PACKS:
        proofs: dict[str, dict[str, list[dict]]] = {}
        for line in (REPO / "packs" / pack / "proofs.jsonl").read_text().splitlines():
            proof = json.loads(line)
            proofs.setdefault(proof["scenario"], {}).setdefault(proof["kind"], []).append(proof)
        for number, (scenario, kinds) in enumerate(proofs.items()):
            if pack == PACKS[0] and number in (4, 9):
                continue  # no answer: the replay backend ends it as http_error (infrastructure)
            for _ in range(3):  # one line per repeat
                kind = "near_miss" if rng.random() < 0.25 else rng.choice(["gold", "alternative"])
                proof = rng.choice(kinds.get(kind) or kinds["gold"])
                for turn in proof.get("turns") or [proof]:
                    answer = {k: turn[k] for k in ("content", "tool_calls", "reasoning", "finish_reason") if k in turn}
                    lines.append({"scenario": f"{pack}/{scenario}", **answer})
    return lines


def main() -> None:
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / "docs" / "report-html.png"
    work = Path(tempfile.mkdtemp(prefix="benchlab-screenshot-"))
    replay = work / "replay.jsonl"
    replay.write_text("".join(json.dumps(line) + "\n" for line in replay_lines(random.Random(7))))
    args = [sys.executable, "-m", "benchlab", "run", "--replay", str(replay), "--out", str(work / "out"), "--no-progress", "--repeat", "3"]
    for pack in PACKS:
        args += ["--pack", pack]
    subprocess.run(args, check=False, capture_output=True)
    [page] = (work / "out").glob("*/report.html")
    browser = Browser(find_chromium() or "chromium")
    try:
        tab = browser.new_tab()
        tab.call("Emulation.setDeviceMetricsOverride", {"width": 1280, "height": 1700, "deviceScaleFactor": 1, "mobile": False})
        tab.open(page.as_uri())
        tab.evaluate("(() => { const s = document.querySelector('select[data-facet=verdict]'); s.value = 'fail';"
                     " s.dispatchEvent(new Event('change', {bubbles: true})); document.querySelector('#results button.open').click();"
                     " window.scrollTo(0, 0); })()")
        tab.screenshot(target)
    finally:
        browser.close()
    print(target)


if __name__ == "__main__":
    main()
