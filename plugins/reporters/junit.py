"""``junit.xml``: a run as JUnit XML, the test-report format every CI reads.

One ``testsuite`` per pack (its id, so GitLab, GitHub's JUnit actions and Jenkins each show
a pack as a group) and one ``testcase`` per result key, named ``PACK/ID``; the prompt
variant, thinking arm and repeat are the case's properties, and join its name when the
run has more than one of them (names stay unique). A content or runaway failure is a
``failure``, an infrastructure failure an ``error`` (never the model's fault), a scenario
not scored ``skipped``. Times are latencies in seconds.

Model output is untrusted: every string goes through ``xml_text``, which replaces the
characters XML 1.0 cannot carry (NUL, ESC and other C0 controls, lone surrogates, U+FFFE/F)
with a visible ``\\xNN`` / ``\\uNNNN`` escape; ``serialized`` escapes markup (``<``, ``&``,
``]]>``) as ElementTree does. The record holds no secret, and the endpoint is redacted once
more here.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Iterator

from benchlab.errors import BenchlabError
from benchlab.journal import JournalReader
from benchlab.model import DEFAULT_VARIANT, PackSummary, ResultKey, ResultSummary, RunRecord
from benchlab.redact import redact_url

JUNIT_FILE = "junit.xml"
# The longest failure message attribute, and the longest answer kept in system-out.
MESSAGE_CHARS = 500
ANSWER_CHARS = 4000

_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(value: object) -> str:
    """``value`` as text XML 1.0 can carry: forbidden characters become visible escapes."""

    def escape(match: re.Match[str]) -> str:
        code = ord(match.group(0))
        return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"

    return _NOT_XML.sub(escape, str(value))


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + f"... [{len(text) - limit} more characters]"


class Node:
    """An XML element: a tag, its attributes in order, its text or its children (never both)."""

    __slots__ = ("tag", "attrib", "text", "children")

    def __init__(self, tag: str, attrib: dict[str, str] | None = None) -> None:
        self.tag = tag
        self.attrib = attrib or {}
        self.text: str | None = None
        self.children: list[Node] = []


def _attribute(text: str) -> str:
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
            .replace("\r", "&#13;").replace("\n", "&#10;").replace("\t", "&#09;"))


def _cdata(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def serialized(node: Node, level: int) -> str:
    """``node`` as ElementTree writes it once ``ET.indent(node, "  ", level)`` has indented it
    (``tests/test_junit_reporter.py`` holds the two equal). Written here as strings: a run writes
    a case per result, and an ElementTree per case cost more than the rest of the report."""
    head = "<" + node.tag + "".join(f' {name}="{_attribute(value)}"' for name, value in node.attrib.items())
    if node.children:
        inner = "\n" + "  " * (level + 1)
        parts = [head, ">"]
        for child in node.children:
            parts += [inner, serialized(child, level + 1)]
        return "".join(parts) + "\n" + "  " * level + f"</{node.tag}>"
    if node.text:
        return f"{head}>{_cdata(node.text)}</{node.tag}>"
    return head + " />"


def _element(parent: Node, tag: str, text: str | None = None, **attributes: object) -> Node:
    child = Node(tag, {k: xml_text(v) for k, v in attributes.items()})
    if text:
        child.text = xml_text(text)
    parent.children.append(child)
    return child


def _properties(parent: Node, values: dict[str, Any]) -> None:
    props = _element(parent, "properties")
    for name, value in values.items():
        if value is not None:
            _element(props, "property", name=name, value=value)


def _varying_parts(results: list[ResultSummary]) -> set[str]:
    """The key parts a case name must show: those that differ within the run or from their default."""
    defaults = {"prompt_variant": DEFAULT_VARIANT, "thinking": "off", "repeat": 0}
    return {
        part for part, default in defaults.items()
        if len({getattr(r, part) for r in results}) > 1 or any(getattr(r, part) != default for r in results)
    }


def case_name(key: ResultKey, parts: set[str]) -> str:
    """``PACK/ID``, then ``[variant=... thinking=... repeat=...]`` for the parts the run varies."""
    shown = [f"{label}={value}" for part, label, value in (("prompt_variant", "variant", key.prompt_variant),
                                                         ("thinking", "thinking", key.thinking),
                                                         ("repeat", "repeat", key.repeat)) if part in parts]
    return f"{key.pack}/{key.scenario_id}" + (f" [{' '.join(shown)}]" if shown else "")


def _answer(summary: ResultSummary, journal: JournalReader | None) -> str:
    """What the model last said (content, then tool calls), for a failing case's system-out;
    read from the run's journal line (the record keeps no raw response)."""
    if journal is None:
        return ""
    try:
        line = journal.line(summary)
    except BenchlabError:
        return ""
    turns = [t.get("response") for t in line.get("turns") or [] if isinstance(t, dict)]
    responses = [r for r in turns if isinstance(r, dict)] or [line.get("response")]
    last = responses[-1]
    if not isinstance(last, dict):
        return ""
    calls = []
    for call in last.get("tool_calls") or []:
        raw = call.get("arguments_raw")
        calls.append(f"tool call: {call.get('name')}({raw if raw is not None else call.get('arguments')})")
    return _cut("\n".join([last.get("content") or "", *calls]).strip(), ANSWER_CHARS)


def _outcome(case: Node, result: ResultSummary) -> str:
    """Add the failure, error or skipped element; return which (or "passed")."""
    mode = result.failure_mode
    if result.passed:
        return "passed"
    kind = mode.value if mode is not None else "failed"  # a verdict without a mode is still the model's failure
    message = _cut(f"{kind}: {result.detail}" if result.detail else kind, MESSAGE_CHARS)
    if mode is not None and mode.category == "not_scored":
        _element(case, "skipped", message=message)
        return "skipped"
    if mode is not None and mode.is_infrastructure:
        lines = [f"attempt {a.number}: {a.failure_mode.value}: {a.detail}" for a in result.attempts]
        if not result.attempts or result.attempts[-1].detail != result.detail:
            lines.append(result.detail)
        _element(case, "error", "\n".join(lines), message=message, type=mode.value)
        return "errors"
    # The detail usually names the failed checks already; add those it does not.
    failed = [f"{c.name}: {c.detail}" if c.detail else c.name for c in result.checks if not c.ok]
    lines = [result.detail, *(line for line in failed if line not in result.detail)]
    _element(case, "failure", "\n".join(line for line in lines if line), message=message, type=kind)
    return "failures"


def _kind(result: ResultSummary) -> str:
    """Which count a result adds to (the element ``_outcome`` writes for it)."""
    mode = result.failure_mode
    if result.passed:
        return "passed"
    if mode is not None and mode.category == "not_scored":
        return "skipped"
    return "errors" if mode is not None and mode.is_infrastructure else "failures"


def _counts(results: list[ResultSummary]) -> dict[str, int]:
    counts = {"tests": len(results), "failures": 0, "errors": 0, "skipped": 0}
    for result in results:
        kind = _kind(result)
        if kind != "passed":
            counts[kind] += 1
    return counts


def _text(element: Node, level: int) -> str:
    """One element (and its children) as indented XML text, at ``level`` in the document."""
    return "  " * level + serialized(element, level) + "\n"


def _start_tag(tag: str, attributes: dict[str, object], level: int) -> str:
    empty = serialized(Node(tag, {k: xml_text(v) for k, v in attributes.items()}), level)
    return "  " * level + empty[: -len(" />")] + ">\n"


def _properties_text(values: dict[str, Any], level: int) -> str:
    holder = Node("holder")
    _properties(holder, values)
    return _text(holder.children[0], level)


def _suite(record: RunRecord, pack: PackSummary, results: list[ResultSummary], parts: set[str],
           journal: JournalReader | None) -> Iterator[str]:
    counts = _counts(results)
    seconds = sum(r.latency_s or 0.0 for r in results)
    yield _start_tag("testsuite", {"name": pack.pack, "timestamp": record.started_at[:19],
                                   **{k: str(v) for k, v in counts.items()}, "time": f"{seconds:.3f}"}, 1)
    yield _properties_text({"title": pack.title, "pack_version": pack.version, "score": pack.score, "unplayed": pack.unplayed}, 2)
    for result in results:
        # One case at a time: a tree of every case of a 100,000-result run took more memory than the run.
        latency = result.latency_s or 0.0
        case = Node("testcase", {"classname": xml_text(pack.pack), "name": xml_text(case_name(result.key, parts)),
                                 "time": f"{latency:.3f}"})
        _properties(case, {"prompt_variant": result.prompt_variant, "thinking": result.thinking, "repeat": result.repeat,
                           "junk_kind": result.junk_kind or None})
        if _outcome(case, result) != "passed":
            answer = _answer(result, journal)
            if answer:
                _element(case, "system-out", answer)
        yield _text(case, 2)
    yield "  </testsuite>\n"


def _journal(record: RunRecord, run_dir: Path | None) -> JournalReader | None:
    """The run's journal (in ``run_dir``, else where the record says its run folder is), if it is there."""
    folder = run_dir if run_dir is not None else Path(record.config.out) / record.run_id
    try:
        return JournalReader(folder)
    except BenchlabError:
        return None


def junit_chunks(record: RunRecord, run_dir: Path | None = None) -> Iterator[str]:
    """The run as a JUnit XML document, a piece at a time (failing cases show the answer, read
    from the run's journal)."""
    journal = _journal(record, run_dir)
    try:
        yield from _document(record, journal)
    finally:
        if journal is not None:
            journal.close()


def render_junit(record: RunRecord, run_dir: Path | None = None) -> str:
    """The run as a JUnit XML document."""
    return "".join(junit_chunks(record, run_dir))


def _document(record: RunRecord, journal: JournalReader | None) -> Iterator[str]:
    by_pack: dict[str, list[ResultSummary]] = {p.pack: [] for p in record.packs}
    for result in record.results:
        if result.pack in by_pack:
            by_pack[result.pack].append(result)
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for results in by_pack.values():
        counts = _counts(results)
        totals = {k: totals[k] + counts[k] for k in totals}
    elapsed = record.elapsed_s if record.elapsed_s is not None else sum(r.latency_s or 0.0 for r in record.results)
    yield '<?xml version="1.0" encoding="UTF-8"?>\n'
    yield _start_tag("testsuites", {"name": f"benchlab {record.run_id}", **{k: str(v) for k, v in totals.items()},
                                    "time": f"{elapsed:.3f}"}, 0)
    yield _properties_text({
        "run_id": record.run_id, "model": record.model, "backend": record.backend,
        "endpoint": redact_url(record.endpoint) if record.endpoint else None, "mode": record.mode,
        "benchlab_version": record.benchlab_version, "canonical": str(record.canonical).lower(),
        "complete": str(record.complete).lower(),
    }, 1)
    parts = _varying_parts(record.results)
    for pack in record.packs:
        yield from _suite(record, pack, by_pack[pack.pack], parts, journal)
    yield "</testsuites>\n"


class JUnitReporter:
    """``junit.xml`` in every run folder; ``--format junit`` prints the same document."""

    def render(self, record: RunRecord) -> str:
        return render_junit(record)

    def render_chunks(self, record: RunRecord) -> Iterator[str]:
        """What ``render`` gives, a piece at a time (``--format junit`` prints it so)."""
        return junit_chunks(record)

    def write(self, record: RunRecord, run_dir: Path) -> None:
        # Written whole and renamed: a CI step never reads half a file.
        temp = run_dir / f".{JUNIT_FILE}.{os.getpid()}"
        try:
            with temp.open("w", encoding="utf-8") as handle:
                handle.writelines(junit_chunks(record, run_dir))
            os.replace(temp, run_dir / JUNIT_FILE)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise


JUNIT = JUnitReporter()
