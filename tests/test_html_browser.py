"""The HTML pages in a real browser: Debian's headless Chromium over the DevTools protocol
(tests/chromium.py, one browser per session). Each page kind renders with no console error and
no policy violation, shows its charts, filters and searches its rows, opens a transcript on a
click and from the keyboard; a screenshot of each is saved under the test's temp dir. Then the
hostile run: nothing of it runs, loads or opens, and every string reads back exactly."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from helpers import benchlab
from html_runs import hostile_run, hostile_strings, replay_run, two_pack_run

# Records every CSP violation the page reports (run before any page script, in the page's world).
WATCH = """window.__violations = [];
document.addEventListener('securitypolicyviolation', e => window.__violations.push(e.effectiveDirective + ' ' + e.blockedURI));"""


def open_page(browser, path: Path):
    tab = browser.new_tab()
    tab.call("Page.addScriptToEvaluateOnNewDocument", {"source": WATCH})
    tab.open(path.resolve().as_uri())
    return tab


def rows(tab, table: str = "results") -> int:
    return tab.evaluate(f"document.querySelectorAll('#{table} > tbody > tr:not(.transcript-row)').length")


def choose(tab, facet: str, value: str) -> None:
    tab.evaluate(f"(() => {{ const s = document.querySelector('select[data-facet=\"{facet}\"]'); s.value = {json.dumps(value)};"
                 " s.dispatchEvent(new Event('change', {bubbles: true})); })()")


def search(tab, text: str) -> None:
    tab.evaluate(f"(() => {{ const i = document.querySelector('[data-search]'); i.value = {json.dumps(text)};"
                 " i.form.requestSubmit(); })()")


def clean(tab) -> None:
    assert tab.errors() == []
    assert tab.evaluate("window.__violations") == []
    assert tab.dialogs() == []


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("pages")
    out = tmp / "out"
    a = two_pack_run(tmp, out, wrong_every=3, model="model-a")
    b = two_pack_run(tmp, out, wrong_every=4, model_note="second", model="model-b")
    for args in (("--diff", a.name, b.name), ("--index",)):
        proc = benchlab("report", *args, "--out", str(out))
        assert proc.returncode == 0, proc.stderr
    return out, a, b


def test_run_page_charts_filters_search_lazy_rows_and_transcripts(chromium, runs, tmp_path):
    out, a, _ = runs
    tab = open_page(chromium, a / "report.html")
    try:
        assert tab.evaluate("document.querySelectorAll('.pack-table svg.chart.bar').length") == 2
        assert tab.evaluate("document.querySelectorAll('.pack-table svg.chart.histogram rect.fill').length") >= 2
        assert tab.evaluate("document.querySelectorAll('.modes svg.chart').length") == 1  # wrong_answer only
        # 250 results, drawn a page (100) at a time; "Show more" draws the next page.
        assert rows(tab) == 100
        assert tab.evaluate("document.querySelector('[data-count]').textContent") == "250 of 250 shown"
        tab.evaluate("document.querySelector('button.more').click()")
        assert rows(tab) == 200
        choose(tab, "pack", "beta-100")
        assert rows(tab) == 100 and tab.evaluate("document.querySelector('[data-count]').textContent") == "100 of 250 shown"
        choose(tab, "verdict", "fail")  # beta Q000, Q003, ... Q099: 34 wrong answers
        assert rows(tab) == 34
        choose(tab, "mode", "none")
        assert rows(tab) == 0
        for facet in ("pack", "verdict", "mode"):
            choose(tab, facet, "")
        search(tab, "wrong141")  # in the result's detail and its transcript
        assert rows(tab) == 1
        search(tab, "thinking about word 42")  # only in the transcripts (the reasoning)
        assert rows(tab) == 2  # alpha Q042 and beta Q042
        search(tab, "")
        # A click opens a transcript: its messages, the answer, the reasoning (collapsed), the checks.
        tab.click("#results tbody tr:first-child button.open")
        assert tab.evaluate("document.querySelector('#results button.open').getAttribute('aria-expanded')") == "true"
        shown = tab.evaluate("""(() => { const t = document.querySelector('.transcript');
            return {content: t.querySelector('pre[data-field=content]').textContent,
                    message: t.querySelector('pre[data-field=message]').textContent,
                    reasoningOpen: t.querySelector('pre[data-field=reasoning]').closest('details').open,
                    answerRole: t.querySelector('.msg.role-assistant .role').textContent,
                    checks: t.querySelectorAll('.checks li').length}; })()""")
        # A recorded answer has no HTTP status: none is claimed ("status null" was).
        assert shown == {"content": "wrong0", "message": "Say word 0", "reasoningOpen": False, "checks": 1,
                         "answerRole": "assistant (finish_reason stop)"}
        tab.click("#results tbody tr:first-child button.open")  # and closes again
        assert tab.evaluate("document.querySelectorAll('.transcript').length") == 0
        # From the keyboard: Tab to a row's button, Enter opens it.
        tab.evaluate("document.querySelectorAll('#results button.open')[1].focus()")
        tab.press("Enter", "Enter", 13, "\r")
        assert tab.evaluate("document.querySelectorAll('#results button.open')[1].getAttribute('aria-expanded')") == "true"
        # Light and dark follow the system; print drops the controls.
        background = "getComputedStyle(document.body).backgroundColor"
        tab.call("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": "light"}]})
        light = tab.evaluate(background)
        tab.call("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": "dark"}]})
        assert (light, tab.evaluate(background)) == ("rgb(255, 255, 255)", "rgb(15, 18, 22)")
        tab.call("Emulation.setEmulatedMedia", {"media": "print", "features": []})
        assert tab.evaluate("getComputedStyle(document.querySelector('form.filters label')).display") == "none"
        tab.call("Emulation.setEmulatedMedia", {"media": "", "features": []})
        clean(tab)
        assert tab.screenshot(tmp_path / "run-page.png").stat().st_size > 10_000
    finally:
        tab.close()


def test_printing_draws_every_matching_row_and_says_how_many_of_all_it_holds(chromium, runs, tmp_path):
    """Paper has no "Show more": before printing, every row the filters keep is drawn, and the
    count (which rows those are) stays on the page while the filters' controls go."""
    out, a, _ = runs
    tab = open_page(chromium, a / "report.html")
    try:
        assert rows(tab) == 100  # of 250: drawn a page at a time on screen
        choose(tab, "verdict", "pass")
        passes = tab.evaluate("JSON.parse(document.getElementById('data-rows').textContent).rows.filter(r => r.f.verdict === 'pass').length")
        assert passes > 100 and rows(tab) == 100
        tab.call("Emulation.setEmulatedMedia", {"media": "print", "features": []})
        count = tab.evaluate("(() => { const c = document.querySelector('[data-count]'); return [getComputedStyle(c).display, c.textContent]; })()")
        assert count[0] != "none" and count[1] == f"{passes} of 250 shown"
        assert tab.evaluate("[...document.querySelectorAll('form.filters select, form.filters input')].every(e => e.getClientRects().length === 0)")
        assert tab.evaluate("document.querySelector('[data-count]').getClientRects().length") > 0
        pdf = tab.call("Page.printToPDF", {})  # Chromium fires beforeprint, as a print from the menu does
        assert pdf["data"] and rows(tab) == passes
        tab.call("Emulation.setEmulatedMedia", {"media": "", "features": []})
        clean(tab)
    finally:
        tab.close()


def test_diff_page_puts_regressions_first_and_opens_both_transcripts_side_by_side(chromium, runs, tmp_path):
    out, a, b = runs
    tab = open_page(chromium, out / f"diff-{a.name}-vs-{b.name}.html")
    try:
        assert tab.evaluate("document.querySelectorAll('.pack-table svg.chart.bar').length") == 4  # A and B per pack
        first = tab.evaluate("[...document.querySelectorAll('#results tbody tr td:nth-child(2)')].slice(0, 3).map(td => td.textContent)")
        assert first[0] == "regression"
        choose(tab, "change", "fix")
        fixes = rows(tab)
        choose(tab, "change", "regression")
        regressions = rows(tab)
        # alpha and beta: wrong every 3rd in A, every 4th in B. Regressions are multiples of 4 but not 3.
        expected_regressions = sum(1 for n in (150, 100) for i in range(n) if i % 4 == 0 and i % 3 != 0)
        expected_fixes = sum(1 for n in (150, 100) for i in range(n) if i % 3 == 0 and i % 4 != 0)
        assert (regressions, fixes) == (expected_regressions, expected_fixes)
        tab.click("#results tbody tr:first-child button.open")
        sides = tab.evaluate("[...document.querySelectorAll('.sides-2 > .transcript')].map(t => [t.querySelector('.side').textContent, t.querySelector('pre[data-field=content]').textContent])")
        assert sides[0][0].startswith(f"A: {a.name}") and sides[1][0].startswith(f"B: {b.name}")
        assert sides[0][1] == "word4" and sides[1][1] == "wrong4 second"
        choose(tab, "change", "")
        search(tab, "wrong8 second")  # in B's answer (its transcript) only
        assert rows(tab) == 2  # alpha and beta Q008
        search(tab, "no such words anywhere")
        assert rows(tab) == 0
        clean(tab)
        tab.screenshot(tmp_path / "diff-page.png")
    finally:
        tab.close()


def test_index_page_filters_runs_and_trends_by_model_and_pack(chromium, runs, tmp_path):
    out, a, b = runs
    tab = open_page(chromium, out / "index.html")
    try:
        assert rows(tab, "runs") == 2
        assert tab.evaluate("document.querySelectorAll('figure.trend svg circle').length") == 4  # 2 packs x 2 models, a run each
        links = tab.evaluate("[...document.querySelectorAll('#runs a')].map(x => x.getAttribute('href'))")
        assert links == [f"{b.name}/report.html", f"{a.name}/report.html"]
        choose(tab, "pack", "alpha-150")
        assert rows(tab, "runs") == 2
        assert tab.evaluate("[...document.querySelectorAll('figure.trend')].map(f => f.classList.contains('off'))") == [False, True]
        choose(tab, "model", "model-a")
        assert rows(tab, "runs") == 1
        hidden = tab.evaluate("[...document.querySelectorAll('figure.trend g.series')].map(g => [g.dataset.model, g.classList.contains('off')])")
        assert hidden == [["model-a", False], ["model-b", True], ["model-a", False], ["model-b", True]]
        choose(tab, "model", "")
        choose(tab, "pack", "")
        search(tab, a.name)
        assert rows(tab, "runs") == 1
        clean(tab)
        tab.screenshot(tmp_path / "index-page.png")
    finally:
        tab.close()


class Listener:
    """A loopback HTTP server that records every request it gets (the page must send none)."""

    def __init__(self) -> None:
        seen = self.requests = []

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (the http.server API)
                seen.append(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(b"window.__pwned = 'fetched'")

            do_POST = do_GET

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# Opens every row, every <details>, and every "Show all" of a truncated text, then returns each
# transcript's strings by field.
OPEN_EVERYTHING = """(async () => {
  const table = window.benchlabTable;
  while (!document.querySelector('button.more').hidden) document.querySelector('button.more').click();
  for (const b of document.querySelectorAll('#results button.open')) if (b.getAttribute('aria-expanded') !== 'true') b.click();
  document.querySelectorAll('details').forEach(d => { d.open = true; });
  document.querySelectorAll('button.show-all').forEach(b => b.click());
  await new Promise(r => setTimeout(r, 300));
  return [...document.querySelectorAll('article.transcript')].map(t => {
    const out = {};
    t.querySelectorAll('pre[data-field]').forEach(p => { (out[p.dataset.field] = out[p.dataset.field] || []).push(p.textContent); });
    out.truncated = t.querySelectorAll('[data-truncated]').length;
    return out;
  });
})()"""


def test_hostile_text_stays_text_runs_nothing_loads_nothing_and_reads_back_exactly(chromium, tmp_path):
    listener = Listener()
    try:
        folder, lines = hostile_run(tmp_path, tmp_path / "out", listener.port)
        strings = hostile_strings(listener.port)
        tab = open_page(chromium, folder / "report.html")
        try:
            found = tab.evaluate(OPEN_EVERYTHING, timeout=300)
            assert len(found) == len(lines)
            for shown, line in zip(found, lines):
                assert shown["truncated"] == 0
                assert shown["content"] == [line["content"]]
                assert shown["reasoning"] == [line["reasoning"]]
                index = int(line["scenario"][-2:])
                assert shown["message"] == [f"prompt {index}: {strings[index]}"]  # the pack's text, hostile too
                assert shown["arguments"] == [line["tool_calls"][0]["function"]["arguments"]]  # every string, as arguments too
                assert [json.loads(raw) for raw in shown["raw"]] == [line]  # the replay backend's raw body is the line
            # 10 MB lines, whole: shown in full once "Show all" was pressed, never cut silently.
            assert len(found[0]["content"][0]) == len(lines[0]["content"]) > 10 * 1024 * 1024
            state = tab.evaluate("""({violations: window.__violations,
                javascriptLinks: document.querySelectorAll('a[href^="javascript:" i]').length,
                handlers: [...document.querySelectorAll('*')].filter(e => [...e.attributes].some(a => a.name.startsWith('on'))).length,
                base: document.querySelectorAll('base').length, images: document.images.length,
                bodyShown: getComputedStyle(document.body).display})""")
            assert state == {"violations": [], "javascriptLinks": 0, "handlers": 0, "base": 0, "images": 0,
                             "bodyShown": "block"}
            assert tab.evaluate("typeof window.__pwned") == "undefined"
            assert tab.dialogs() == [] and tab.errors() == []
        finally:
            tab.close()
        assert listener.requests == []
    finally:
        listener.close()


def test_an_inline_handler_injected_from_the_console_is_blocked_by_the_policy(chromium, runs):
    """What the page's own script never does, a console (or a bug) might: HTML with an inline
    handler through innerHTML, an inline <script> element. The policy refuses both."""
    out, a, _ = runs
    tab = open_page(chromium, a / "report.html")
    try:
        clean(tab)
        result = tab.evaluate("""(async () => {
            const box = document.createElement('div');
            document.body.append(box);
            box.innerHTML = '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" onload="window.__injected = 1" onerror="window.__injected = 2">';
            const s = document.createElement('script');
            s.textContent = 'window.__injected = 3';
            document.body.append(s);
            await new Promise(r => setTimeout(r, 500));
            return {injected: typeof window.__injected, violations: window.__violations};
        })()""")
        assert result["injected"] == "undefined"
        directives = {v.split(" ")[0] for v in result["violations"]}
        assert {"script-src-attr", "script-src-elem"} <= directives, result
        assert any("Content Security Policy" in e for e in tab.errors())  # and the browser says so
    finally:
        tab.close()


def test_comparison_page_groups_bars_per_pack_and_opens_every_models_output_side_by_side(chromium, tmp_path):
    out = tmp_path / "out"
    a = two_pack_run(tmp_path, out, sizes=(6, 4), wrong_every=3, model="model-a")
    b = two_pack_run(tmp_path, out, sizes=(6, 4), wrong_every=2, model="model-b")
    assert benchlab("compare", a.name, b.name, "--out", str(out)).returncode == 0
    [folder] = out.glob("compare-*")
    proc = benchlab("report", str(folder))
    assert proc.returncode == 0 and proc.stdout.strip() == str(folder / "report.html"), proc.stderr
    tab = open_page(chromium, folder / "report.html")
    try:
        assert tab.evaluate("document.querySelectorAll('.pack-table svg.chart.bar').length") == 4  # 2 packs x 2 models
        assert tab.evaluate("document.querySelectorAll('.pack-table svg.chart.bar line.whisker').length") == 12  # Wilson intervals
        assert tab.evaluate("document.querySelector('.verdict-line').textContent").startswith("Verdict: ")
        assert rows(tab) == 10
        choose(tab, "pack", "beta-4")
        assert rows(tab) == 4
        tab.click("#results tbody tr:first-child button.open")
        sides = tab.evaluate("[...document.querySelectorAll('.sides-2 > .transcript')].map(t => [t.querySelector('.side').textContent, t.querySelector('pre[data-field=content]').textContent])")
        assert sides == [["model-a", "wrong0"], ["model-b", "wrong0"]]
        choose(tab, "pack", "")
        search(tab, "wrong2")  # model-b's answer to alpha and beta Q002
        assert rows(tab) == 2
        clean(tab)
        tab.screenshot(tmp_path / "compare-page.png")
    finally:
        tab.close()


SIDE_BY_SIDE = """[...document.querySelectorAll('.sides > .transcript')].map(t => {
    const r = t.getBoundingClientRect(); return [t.querySelector('.side').textContent, Math.round(r.left), Math.round(r.top), Math.round(r.width)]; })"""


def test_a_comparison_of_four_models_shows_four_columns_side_by_side_scrolling_sideways_when_narrow(chromium, tmp_path):
    out = tmp_path / "out"
    names = ["model-a", "model-b", "model-c", "model-d"]
    runs = [two_pack_run(tmp_path, out, sizes=(3, 2), wrong_every=n + 2, model=name).name for n, name in enumerate(names)]
    assert benchlab("compare", *runs, "--out", str(out)).returncode == 0
    [folder] = out.glob("compare-*")
    tab = open_page(chromium, folder / "report.html")
    try:
        tab.click("#results tbody tr:first-child button.open")
        shown = tab.evaluate(SIDE_BY_SIDE)
        assert [s[0] for s in shown] == names
        assert len({s[2] for s in shown}) == 1  # one row: the same top
        assert [s[1] for s in shown] == sorted({s[1] for s in shown})  # left to right, none on another
        # Narrow: each column keeps a readable width and the row scrolls sideways instead of squeezing.
        tab.call("Emulation.setDeviceMetricsOverride", {"width": 700, "height": 900, "deviceScaleFactor": 1, "mobile": False})
        narrow = tab.evaluate(SIDE_BY_SIDE)
        assert len({s[2] for s in narrow}) == 1 and min(s[3] for s in narrow) >= 300
        assert tab.evaluate("(() => { const g = document.querySelector('.sides'); return g.scrollWidth > g.clientWidth"
                            " && getComputedStyle(g).overflowX === 'auto'; })()")
        clean(tab)
        tab.screenshot(tmp_path / "compare-four.png")
    finally:
        tab.close()


def test_ladder_page_draws_each_scenarios_attempts_as_a_timeline_and_opens_every_answer_with_its_failed_checks(chromium, tmp_path):
    """A real ``benchlab ladder`` (replay models): it writes report.html at its end, and
    ``benchlab report LADDER_RUN`` writes the same page again."""
    from helpers import write_pack

    rules = [{"name": "names_tokio", "contains": "tokio"}, {"name": "short", "max_words": 40}]
    bad = "Use threads. <img src=x onerror=\"window.__pwned = 1\">"
    good = "Use tokio."
    scenarios = [{"id": f"LD-0{i}", "messages": [{"role": "user", "content": f"Question {i}: fetch URLs concurrently?"}],
                  "verifier": {"kind": "rubric", "rules": rules}} for i in (1, 2)]
    pack = write_pack(tmp_path / "ladder-pack", scenarios)
    answers = {"small": {"LD-01": bad, "LD-02": good}, "big": {"LD-01": good, "LD-02": good}}
    tables = ""
    for name, by_id in answers.items():
        replay = tmp_path / f"{name}.jsonl"
        replay.write_text("".join(json.dumps({"scenario": f"ladder-pack/{i}", "content": c}) + "\n" for i, c in by_id.items()))
        tables += f'[[model]]\nname = "{name}"\nbackend = "replay"\nreplay = "{replay}"\n\n'
    (tmp_path / "models.toml").write_text(tables)
    out = tmp_path / "out"
    done = benchlab("ladder", "--models", str(tmp_path / "models.toml"), "--pack", str(pack), "--out", str(out), "--no-progress")
    assert done.returncode == 0, done.stderr
    [run_dir] = [p for p in out.iterdir() if (p / "ladder.json").is_file()]
    page = run_dir / "report.html"
    written = page.read_text()
    again = benchlab("report", run_dir.name, "--out", str(out))
    assert again.returncode == 0 and again.stdout.strip() == str(page), again.stderr
    assert page.read_text() == written
    tab = open_page(chromium, page)
    try:
        # LD-01: small rejected (1/2 checks), big accepted; LD-02: small accepted at once.
        steps = tab.evaluate("[...document.querySelectorAll('.timeline-table tbody tr')].map(tr => "
                             "[tr.dataset.scenario, [...tr.querySelectorAll('svg rect.step')].map(r => r.getAttribute('class'))])")
        assert steps == [["ladder-pack/LD-01", ["step step-fail", "step step-pass"]], ["ladder-pack/LD-02", ["step step-pass"]]]
        labels = tab.evaluate("[...document.querySelectorAll('.timeline-table tbody tr:first-child .steps li')].map(li => li.textContent)")
        assert labels[0].startswith("attempt 1: small, checks 1/2, ") and labels[1].startswith("attempt 2: big, checks 2/2, ")
        assert rows(tab) == 2
        choose(tab, "accepted", "big")
        assert rows(tab) == 1
        tab.click("#results tbody tr:first-child button.open")
        shown = tab.evaluate("""[...document.querySelectorAll('.sides > .transcript')].map(t => ({
            label: t.querySelector('h4').textContent, content: t.querySelector('pre[data-field=content]').textContent,
            failed: [...t.querySelectorAll('.checks li.failed .check-name')].map(n => n.textContent)}))""")
        assert [s["label"] for s in shown] == ["ladder-pack/LD-01 (attempt 1, small)", "ladder-pack/LD-01 (attempt 2, big, with learning context)"]
        assert [s["content"] for s in shown] == [bad, good]  # the answer as text: the <img> is characters
        assert [s["failed"] for s in shown] == [["names_tokio"], []]
        assert tab.evaluate("document.querySelectorAll('.transcript img').length") == 0
        assert tab.evaluate("window.__pwned === undefined")
        choose(tab, "accepted", "")
        search(tab, "use threads")  # only in small's rejected answer to LD-01
        assert rows(tab) == 1 and tab.evaluate("document.querySelector('#results tbody th').textContent").endswith("LD-01")
        search(tab, "use tokio")  # the accepted answer of both
        assert rows(tab) == 2
        clean(tab)
        tab.screenshot(tmp_path / "ladder-page.png")
    finally:
        tab.close()


def test_hostile_model_names_and_answers_stay_text_on_the_diff_comparison_and_index_pages(chromium, tmp_path):
    """The diff, comparison and index pages show model names (--model is the user's, or a server's
    claim) and answers: each page, every row and section opened and searched, runs nothing,
    opens no dialog, loads nothing and reports no violation, and shows the names as text."""
    from helpers import write_pack

    listener = Listener()
    try:
        strings = hostile_strings(listener.port)
        scenarios = [{"id": f"H{i:02d}", "messages": [{"role": "user", "content": f"prompt {i}: {text}"}],
                      "verifier": {"kind": "exact", "expected": f"safe {i}"}} for i, text in enumerate(strings)]
        pack = write_pack(tmp_path / "packs" / "hostile-y", scenarios, title="<svg onload=\"window.__pwned = 9\">Hostile")
        out = tmp_path / "out"
        names = [strings[0], strings[2]]  # a <script> and an <img onerror>
        runs = []
        for n, name in enumerate(names):
            lines = [{"scenario": f"hostile-y/H{i:02d}", "content": strings[(i + n) % len(strings)], "reasoning": text,
                      "tool_calls": [{"id": f"c{i}", "type": "function", "function": {"name": f"t{i}", "arguments": json.dumps({"x": text})}}]}
                     for i, text in enumerate(strings)]
            runs.append(replay_run(tmp_path, out, [pack], lines, "--model", name))
        assert benchlab("report", "--diff", runs[0].name, runs[1].name, "--out", str(out)).returncode == 0
        assert benchlab("report", "--index", "--out", str(out)).returncode == 0
        compared = benchlab("compare", *(r.name for r in runs), "--out", str(out))
        assert compared.returncode == 0, compared.stderr
        [comparison] = out.glob("compare-*")
        pages = [out / f"diff-{runs[0].name}-vs-{runs[1].name}.html", comparison / "report.html", out / "index.html"]
        for page in pages:
            tab = open_page(chromium, page)
            try:
                opened = tab.evaluate(OPEN_EVERYTHING.replace("#results button.open", "button.open"), timeout=300)
                assert page.name == "index.html" or len(opened) >= len(strings)  # every row's transcripts
                text = tab.evaluate("document.body.textContent")
                assert all(name in text for name in names), page  # the names, as text
                search(tab, strings[1])
                search(tab, "")
                state = tab.evaluate("""({javascriptLinks: document.querySelectorAll('a[href^="javascript:" i]').length,
                    handlers: [...document.querySelectorAll('*')].filter(e => [...e.attributes].some(a => a.name.startsWith('on'))).length,
                    base: document.querySelectorAll('base').length, images: document.images.length,
                    bodyShown: getComputedStyle(document.body).display, pwned: typeof window.__pwned})""")
                assert state == {"javascriptLinks": 0, "handlers": 0, "base": 0, "images": 0, "bodyShown": "block",
                                 "pwned": "undefined"}, page
                clean(tab)
            finally:
                tab.close()
        assert listener.requests == []
    finally:
        listener.close()
