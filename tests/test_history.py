"""The run index and `benchlab history`, through the real CLI.

Runs are real `benchlab run` subprocesses: the replay backend, the protocol-faithful fault
server (tests/servers/faults.py) that fails scenarios on purpose, and one run on the real
llama-server. The index is a real SQLite file; concurrency is tested with real processes.
"""

from __future__ import annotations

import csv
import io
import json
import multiprocessing
import shutil
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path
from typing import Any

import attrs
import pytest

from helpers import benchlab, exact_scenario, one_error_line, only_run_dir, write_pack, write_replay
from servers.base import Answer, Script, running
from servers.faults import FaultServer

# The documented keys (README "Results"): the listing's top level, each run, each pack line.
TOP_KEYS = {"schema_version", "runs"}
RUN_KEYS = {"run_id", "started_at", "finished_at", "model", "backend", "endpoint", "server", "benchlab_version", "mode",
            "thinking_arms", "canonical", "complete", "folder", "packs", "rescored"}
PACK_KEYS = {"pack", "title", "version", "pass_count", "total", "score", "infrastructure_failures", "not_scored", "unplayed"}
TREND_KEYS = {"schema_version", "pack", "model", "points"}


def two_pack(tmp_path: Path, pack_id: str = "hist-2", version: str = "1.0.0") -> Path:
    return write_pack(tmp_path / pack_id, [exact_scenario("A", "Say one", "one"), exact_scenario("B", "Say two", "two")],
                      title=pack_id.title(), version=version)


def replay_run(tmp_path: Path, out: Path, pack: Path, answers: dict[str, str], *extra: str) -> str:
    """One `benchlab run` on the replay backend; the new run's id."""
    before = {p.name for p in out.iterdir()} if out.is_dir() else set()
    replay = write_replay(tmp_path / f"replay-{len(before)}.jsonl", {f"{pack.name}/{k}": v for k, v in answers.items()})
    proc = benchlab("run", "--pack", str(pack), "--replay", str(replay), "--out", str(out), "--no-progress", *extra)
    assert proc.returncode == 0, proc.stderr
    assert "warning" not in proc.stderr, proc.stderr
    [new] = [p.name for p in out.iterdir() if p.name not in before and p.is_dir()]
    return new


def history(out: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return benchlab("history", "--out", str(out), *args)


def history_json(out: Path, *args: str) -> dict[str, Any]:
    proc = history(out, "--format", "json", *args)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    return json.loads(proc.stdout)


def listed(out: Path, *args: str) -> list[str]:
    return [run["run_id"] for run in history_json(out, *args)["runs"]]


def test_every_run_lands_in_the_index_and_history_lists_them_newest_first(tmp_path):
    out = tmp_path / "results"
    pack = two_pack(tmp_path)
    first = replay_run(tmp_path, out, pack, {"A": "one", "B": "wrong"})
    second = replay_run(tmp_path, out, pack, {"A": "one", "B": "two"}, "--repeat", "2")
    assert (out / "index.sqlite").is_file()

    document = history_json(out)
    assert set(document) == TOP_KEYS
    assert [r["run_id"] for r in document["runs"]] == [second, first]
    newest, oldest = document["runs"]
    assert set(newest) == RUN_KEYS and set(newest["packs"][0]) == PACK_KEYS
    assert (newest["model"], newest["backend"], newest["canonical"], newest["complete"]) == ("replay", "replay", True, True)
    assert newest["thinking_arms"] == ["off"] and newest["folder"] == str((out / second).resolve())
    assert [(p["pack"], p["pass_count"], p["total"], p["score"]) for p in newest["packs"]] == [("hist-2", 4, 4, 1.0)]
    assert (oldest["packs"][0]["pass_count"], oldest["packs"][0]["total"]) == (1, 2)
    assert oldest["finished_at"] <= newest["finished_at"] and oldest["finished_at"].endswith("+00:00")

    table = history(out)
    assert table.returncode == 0, table.stderr
    rows = [line for line in table.stdout.splitlines() if line.startswith(f"| {first}") or line.startswith(f"| {second}")]
    assert [row.split(" | ")[0] for row in rows] == [f"| {second}", f"| {first}"]
    assert "Hist-2 1/2 (50%)" in rows[1] and "Hist-2 4/4 (100%)" in rows[0]

    rows_csv = list(csv.DictReader(io.StringIO(history(out, "--format", "csv").stdout)))
    assert [(r["run_id"], r["pack"], r["pass_count"], r["total"]) for r in rows_csv] == [
        (second, "hist-2", "4", "4"), (first, "hist-2", "1", "2")]


def test_filters_by_model_pack_and_date(tmp_path):
    out = tmp_path / "results"
    pack, other = two_pack(tmp_path), two_pack(tmp_path, "other-2")
    by_replay = replay_run(tmp_path, out, pack, {"A": "one", "B": "two"})
    by_other_pack = replay_run(tmp_path, out, other, {"A": "one", "B": "two"})
    with running(FaultServer(Script({"Say one": Answer("one"), "Say two": Answer("two")}), model="fault-model")) as server:
        proc = benchlab("run", "--backend", "openai", "--endpoint", server.url, "--pack", str(pack), "--out", str(out),
                        "--no-progress", "--measured-tps", "50")
    assert proc.returncode == 0, proc.stderr
    by_server = only_new(out, {by_replay, by_other_pack})

    assert listed(out) == [by_server, by_other_pack, by_replay]
    assert listed(out, "--model", "replay") == [by_other_pack, by_replay]
    assert listed(out, "--model", "fault-model") == [by_server]
    assert listed(out, "--pack", "hist-2") == [by_server, by_replay]
    assert listed(out, "--pack", "hist-2", "--model", "replay") == [by_replay]
    assert listed(out, "--limit", "2") == [by_server, by_other_pack]
    assert listed(out, "--since", "2000-01-01") == [by_server, by_other_pack, by_replay]
    assert listed(out, "--since", "2999-01-01T00:00:00+02:00") == []
    assert listed(out, "--model", "nobody") == []
    empty = history(out, "--model", "nobody")
    assert empty.returncode == 0 and "No runs indexed" in empty.stdout
    # With --pack, the table shows that pack's line only.
    only = history(out, "--pack", "other-2").stdout
    assert "Other-2 2/2 (100%)" in only and "Hist-2" not in only


def only_new(out: Path, known: set[str]) -> str:
    [new] = [p.name for p in out.iterdir() if p.is_dir() and p.name not in known]
    return new


def test_trend_shows_one_packs_score_over_time(tmp_path):
    out = tmp_path / "results"
    pack = two_pack(tmp_path)
    runs = [replay_run(tmp_path, out, pack, answers) for answers in
            ({"A": "one", "B": "x"}, {"A": "one", "B": "two"}, {"A": "x", "B": "x"})]
    replay_run(tmp_path, out, two_pack(tmp_path, "other-2"), {"A": "one", "B": "two"})  # another pack: not in the trend

    document = history_json(out, "--trend", "--pack", "hist-2", "--model", "replay")
    assert set(document) == TREND_KEYS and (document["pack"], document["model"]) == ("hist-2", "replay")
    assert [(p["run_id"], p["score"]) for p in document["points"]] == list(zip(runs, [0.5, 1.0, 0.0]))
    table = history(out, "--trend", "--pack", "hist-2", "--model", "replay").stdout
    lines = [line for line in table.splitlines() if line.startswith("| 20")]
    assert [line.split(" | ")[1] for line in lines] == runs  # oldest first
    assert [line.split(" | ")[4] for line in lines] == ["", "+50 pts", "-100 pts"]
    # A pack that changed between runs is flagged: scores across versions are not comparable.
    replay_run(tmp_path, out, two_pack(tmp_path / "v2", version="2.0.0"), {"A": "one", "B": "two"})
    assert "scores across versions are not comparable" in history(out, "--trend", "--pack", "hist-2", "--model", "replay").stdout


def test_a_run_failing_on_purpose_and_its_resume_update_one_row(tmp_path):
    """The fault server answers "fault: 500 once" with HTTP 500 once: with --retries 0 the run ends
    with an infrastructure failure (exit 3); the resume scores it and replaces the run's row."""
    pack = write_pack(tmp_path / "flaky-3", [exact_scenario("S1", "Say one", "one"), exact_scenario("S2", "fault: 500 once", "ok"),
                                             exact_scenario("S3", "Say two", "wrong")], title="Flaky-3")
    out = tmp_path / "results"
    with running(FaultServer(Script({"Say one": Answer("one"), "Say two": Answer("two")}))) as server:
        first = benchlab("run", "--backend", "openai", "--endpoint", server.url, "--pack", str(pack), "--out", str(out),
                         "--no-progress", "--retries", "0", "--measured-tps", "50")
        assert first.returncode == 3, first.stderr
        [run] = history_json(out)["runs"]
        assert (run["packs"][0]["pass_count"], run["packs"][0]["total"], run["packs"][0]["infrastructure_failures"]) == (1, 2, 1)
        assert "⚠️ 1 infra" in history(out).stdout
        resumed = benchlab("run", "--resume", run["run_id"], "--out", str(out), "--no-progress")
    assert resumed.returncode == 0, resumed.stderr
    [again] = history_json(out)["runs"]
    assert again["run_id"] == run["run_id"]
    assert (again["packs"][0]["pass_count"], again["packs"][0]["total"], again["packs"][0]["infrastructure_failures"]) == (2, 3, 0)
    assert again["finished_at"] >= run["finished_at"]


def test_a_rescored_run_updates_its_row_and_a_rescored_copy_lands_where_it_is_written(tmp_path):
    out, elsewhere = tmp_path / "results", tmp_path / "rescored"
    pack = two_pack(tmp_path)
    run = replay_run(tmp_path, out, pack, {"A": "ONE", "B": "two"})
    assert history_json(out)["runs"][0]["packs"][0]["pass_count"] == 1
    write_pack(pack, [exact_scenario("A", "Say one", "one") | {"verifier": {"kind": "exact", "expected": "one", "case_sensitive": False}},
                      exact_scenario("B", "Say two", "two")], title="Hist-2")  # a verifier fix: case no longer matters
    copy = benchlab("rescore", run, "--out", str(out), "--output", str(elsewhere))
    assert copy.returncode == 0, copy.stderr
    [new] = history_json(elsewhere)["runs"]
    assert new["run_id"] != run and new["packs"][0]["pass_count"] == 2
    in_place = benchlab("rescore", run, "--out", str(out), "--in-place")
    assert in_place.returncode == 0, in_place.stderr
    [again] = history_json(out)["runs"]
    assert again["run_id"] == run and again["packs"][0]["pass_count"] == 2
    assert again["rescored"].startswith("at ") and "(packs hist-2 1.0.0)" in again["rescored"]
    assert "re-scored at " in history(out).stdout


def test_no_credential_reaches_the_index(tmp_path):
    out = tmp_path / "results"
    pack = two_pack(tmp_path)
    with running(FaultServer(Script({"Say one": Answer("one")}))) as server:
        endpoint = server.url.replace("http://", "http://alice:pw-s3cret-987@")
        for credentials in (("--endpoint", endpoint), ("--endpoint", server.url, "--api-key", "sk-hist-s3cret-321")):
            proc = benchlab("run", "--backend", "openai", *credentials, "--pack", str(pack), "--out", str(out),
                            "--no-progress", "--measured-tps", "50")
            assert proc.returncode in (0, 3), proc.stderr
    data = (out / "index.sqlite").read_bytes()
    for secret in (b"pw-s3cret-987", b"sk-hist-s3cret-321", b"alice"):
        assert secret not in data
    endpoints = sorted(run["endpoint"] for run in history_json(out)["runs"])
    assert len(endpoints) == 2 and endpoints[0].startswith("http://***@127.0.0.1:") and endpoints[1] == server.url


def test_reindex_rebuilds_from_the_folders_and_names_what_it_left_out(tmp_path):
    out = tmp_path / "results"
    pack = two_pack(tmp_path)
    runs = [replay_run(tmp_path, out, pack, {"A": "one", "B": "two"}) for _ in range(2)]
    (out / "index.sqlite").unlink()
    # A run killed before its end: a journal, no run.json.
    killed = out / "20260101-000000-dead00"
    killed.mkdir()
    shutil.copy(out / runs[0] / "journal.jsonl", killed / "journal.jsonl")
    # A run written by a newer benchlab.
    newer = out / "20260102-000000-0e0e0e"
    shutil.copytree(out / runs[1], newer)
    record = json.loads((newer / "run.json").read_text())
    (newer / "run.json").write_text(json.dumps({**record, "schema_version": 99, "run_id": newer.name}))

    proc = history(out, "--reindex")
    assert proc.returncode == 0, proc.stderr
    assert f"indexed 2 run(s) under {out}/" in proc.stdout
    assert f"not indexed, no run.json (stopped before the end): {killed.name}; finish one with: benchlab run --resume {killed.name} --out {out}" in proc.stdout
    [warning] = proc.stderr.splitlines()
    assert warning.startswith(f"benchlab: warning: {newer} not indexed: ") and "schema_version 99 is newer" in warning
    assert listed(out) == list(reversed(runs))
    as_json = json.loads(history(out, "--reindex", "--format", "json").stdout)
    assert set(as_json) == {"schema_version", "index", "indexed", "incomplete", "unreadable"}
    assert as_json["indexed"] == 2 and as_json["incomplete"] == [killed.name]
    assert [u["folder"] for u in as_json["unreadable"]] == [str(newer)]


@pytest.mark.parametrize("damage", ["garbage", "torn pages", "table dropped", "table dropped, a run not indexed",
                                    "column dropped"])
def test_a_corrupt_index_is_rebuilt_from_the_folders_with_one_warning(tmp_path, damage):
    out = tmp_path / "results"
    pack = two_pack(tmp_path)
    runs = [replay_run(tmp_path, out, pack, {"A": "one", "B": "two"}) for _ in range(2)]
    index = out / "index.sqlite"
    if damage == "garbage":
        index.write_bytes(b"this is not a database at all\n" * 100)
    elif damage.startswith("table dropped"):
        # A sound SQLite file without a table the index needs: an up-to-date index, and one a run is missing from.
        with closing(sqlite3.connect(index)) as db, db:
            db.execute("DROP TABLE pack_scores")
            if damage.endswith("not indexed"):
                db.execute("DELETE FROM runs WHERE run_id = ?", (runs[0],))
    elif damage == "column dropped":
        with closing(sqlite3.connect(index)) as db, db:
            db.execute("ALTER TABLE runs DROP COLUMN folder")
    else:
        data = bytearray(index.read_bytes())
        data[4096:] = b"\xa5" * (len(data) - 4096)  # every page after the first overwritten
        index.write_bytes(bytes(data))
    proc = history(out, "--format", "json")
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    [warning] = proc.stderr.splitlines()
    assert warning.startswith(f"benchlab: warning: {index} was corrupt (") and warning.endswith("; rebuilt from the run folders")
    assert [r["run_id"] for r in json.loads(proc.stdout)["runs"]] == list(reversed(runs))
    assert history(out).stderr == ""  # sound again


def test_an_index_of_a_newer_schema_is_refused_and_reindex_replaces_it(tmp_path):
    out = tmp_path / "results"
    run = replay_run(tmp_path, out, two_pack(tmp_path), {"A": "one", "B": "two"})
    with sqlite3.connect(out / "index.sqlite") as db:
        db.execute("PRAGMA user_version = 99")
    line = one_error_line(history(out))
    assert "written by a newer benchlab (index schema 99" in line and "--reindex" in line
    assert history(out, "--reindex").returncode == 0
    assert listed(out) == [run]


def test_the_index_follows_the_folders_added_or_removed_by_hand(tmp_path):
    out, elsewhere = tmp_path / "results", tmp_path / "elsewhere"
    pack = two_pack(tmp_path)
    kept = replay_run(tmp_path, out, pack, {"A": "one", "B": "two"})
    removed = replay_run(tmp_path, out, pack, {"A": "one", "B": "two"})
    copied = replay_run(tmp_path, elsewhere, pack, {"A": "one", "B": "two"})
    assert listed(out) == [removed, kept]
    shutil.rmtree(out / removed)
    shutil.copytree(elsewhere / copied, out / copied)
    assert listed(out) == [copied, kept]


def test_add_copies_a_run_folder_in_and_refuses_a_clash(tmp_path):
    out, elsewhere = tmp_path / "results", tmp_path / "elsewhere"
    pack = two_pack(tmp_path)
    here = replay_run(tmp_path, out, pack, {"A": "one", "B": "two"})
    there = replay_run(tmp_path, elsewhere, pack, {"A": "one", "B": "x"})

    added = history(out, "--add", str(elsewhere / there))
    assert added.returncode == 0, added.stderr
    assert f"added {there} to {out}/" in added.stdout
    assert (out / there / "run.json").read_bytes() == (elsewhere / there / "run.json").read_bytes()
    assert listed(out) == [there, here]
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no staging folder left behind

    clash = one_error_line(history(out, "--add", str(elsewhere / there)))
    assert "already exists" in clash and "nothing was copied" in clash
    again = history(out, "--add", str(out / here))
    assert again.returncode == 0 and "already under" in again.stdout
    assert "not a benchlab run folder" in one_error_line(history(out, "--add", str(tmp_path)))
    assert "no such run folder" in one_error_line(history(out, "--add", str(tmp_path / "nothing")))
    killed = tmp_path / "killed" / "20260101-000000-dead00"
    killed.mkdir(parents=True)
    shutil.copy(out / here / "journal.jsonl", killed / "journal.jsonl")
    line = one_error_line(history(out, "--add", str(killed)))
    assert "no run.json: the run did not finish; finish it with benchlab run --resume 20260101-000000-dead00" in line
    # A record read from elsewhere may lie: its run id never names a folder outside --out.
    forged = tmp_path / "forged" / "20260101-000000-f0f0f0"
    shutil.copytree(elsewhere / there, forged)
    record = json.loads((forged / "run.json").read_text())
    (forged / "run.json").write_text(json.dumps({**record, "run_id": "../escaped"}))
    assert "run id '../escaped' cannot name a folder; nothing was copied" in one_error_line(history(out, "--add", str(forged)))
    assert not (tmp_path / "escaped").exists()


@pytest.mark.parametrize(("args", "message"), [
    (("--out", "{tmp}/nowhere"), "--out {tmp}/nowhere: no such folder"),
    (("--since", "last week"), "--since 'last week': expected a date (2026-11-25) or an ISO time"),
    (("--trend", "--pack", "hist-2"), "--trend shows one pack's score for one model: give --pack P and --model M"),
    (("--reindex", "--model", "m"), "--model filters a listing; --reindex takes none"),
    (("--trend", "--reindex"), "--trend and --reindex given together"),
    (("--format", "xml"), "--format 'xml': history prints md, json, csv"),
])
def test_bad_input_is_one_line_and_exit_1(tmp_path, args, message):
    (tmp_path / "results").mkdir()
    args = tuple(a.replace("{tmp}", str(tmp_path)) for a in args)
    proc = benchlab("history", *(args if "--out" in args else ("--out", str(tmp_path / "results"), *args)))
    assert message.replace("{tmp}", str(tmp_path)) in one_error_line(proc)


def test_a_run_whose_index_cannot_be_written_is_saved_with_a_warning(tmp_path):
    out = tmp_path / "results"
    (out / "index.sqlite").mkdir(parents=True)  # not a file: SQLite cannot open it
    replay = write_replay(tmp_path / "r.jsonl", {"hist-2/A": "one", "hist-2/B": "two"})
    proc = benchlab("run", "--pack", str(two_pack(tmp_path)), "--replay", str(replay), "--out", str(out), "--no-progress")
    assert proc.returncode == 0, proc.stderr
    run = only_run_dir(out)
    assert (run / "run.json").is_file() and (run / "junit.xml").is_file()
    [warning] = [line for line in proc.stderr.splitlines() if "warning" in line]
    assert f"run {run.name} is saved but not indexed" in warning and "history --reindex" in warning


def _index_many(out: str, record_path: str, prefix: str, count: int, barrier: Any) -> None:
    """One of two processes indexing ``count`` runs into the same, not yet created, index."""
    from benchlab.history import index_run
    from benchlab.records import read_record

    record = read_record(Path(record_path))
    barrier.wait()
    failures = sum(not index_run(Path(out), Path(out) / f"{prefix}-{n}", attrs.evolve(record, run_id=f"{prefix}-{n}"))
                   for n in range(count))
    sys.exit(failures)


def test_two_processes_indexing_at_once_both_land(tmp_path):
    source = tmp_path / "source"
    run = replay_run(tmp_path, source, two_pack(tmp_path), {"A": "one", "B": "two"})
    out = tmp_path / "results"
    out.mkdir()
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(2)
    workers = [context.Process(target=_index_many, args=(str(out), str(source / run), prefix, 40, barrier)) for prefix in "ab"]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert [w.exitcode for w in workers] == [0, 0]
    with sqlite3.connect(out / "index.sqlite") as db:
        assert db.execute("SELECT count(*) FROM runs").fetchone()[0] == 80
        assert db.execute("SELECT count(*) FROM pack_scores").fetchone()[0] == 80


def test_two_runs_finishing_together_both_land(tmp_path):
    out = tmp_path / "results"
    pack = two_pack(tmp_path)
    replay = write_replay(tmp_path / "r.jsonl", {"hist-2/A": "one", "hist-2/B": "two"})
    command = [sys.executable, "-m", "benchlab", "run", "--pack", str(pack), "--replay", str(replay), "--out", str(out), "--no-progress"]
    procs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [proc.communicate(timeout=300) for proc in procs]
    assert [proc.returncode for proc in procs] == [0, 0], outputs
    assert all("warning" not in err for _, err in outputs), outputs
    folders = sorted(p.name for p in out.iterdir() if p.is_dir())
    with sqlite3.connect(out / "index.sqlite") as db:
        assert sorted(r[0] for r in db.execute("SELECT run_id FROM runs")) == folders and len(folders) == 2


@pytest.mark.llama
@pytest.mark.slow
def test_a_run_on_the_real_llama_server_lands_in_the_index(tmp_path, llama_server):
    out = tmp_path / "results"
    smoke = Path(__file__).parent / "data" / "packs" / "smoke-5"
    proc = benchlab("run", "--endpoint", llama_server, "--pack", str(smoke), "--out", str(out), "--no-progress", timeout=600)
    assert proc.returncode in (0, 3), proc.stderr
    record = json.loads((only_run_dir(out) / "run.json").read_text())
    [run] = history_json(out, "--model", record["model"], "--pack", "smoke-5")["runs"]
    assert run["run_id"] == record["run_id"] and run["backend"] == "llamacpp"
    assert run["server"]["kind"] == "llamacpp" and run["server"]["version"] and run["server"]["chat_template_sha256"]
    assert run["server"] == {k: v for k, v in record["probe"]["server"].items() if v is not None}
    summary = record["packs"][0]
    assert (run["packs"][0]["pass_count"], run["packs"][0]["total"]) == (summary["pass_count"], summary["total"])
    trend = history_json(out, "--trend", "--pack", "smoke-5", "--model", record["model"])
    assert [p["run_id"] for p in trend["points"]] == [record["run_id"]]


def test_an_index_of_an_older_schema_is_rebuilt_with_one_warning(tmp_path):
    """Index schema 1 had no `rescored` column: an index written by that benchlab is rebuilt."""
    out = tmp_path / "results"
    run = replay_run(tmp_path, out, two_pack(tmp_path), {"A": "one", "B": "two"})
    index = out / "index.sqlite"
    with closing(sqlite3.connect(index)) as db, db:
        db.execute("ALTER TABLE runs DROP COLUMN rescored")
        db.execute("PRAGMA user_version = 1")
    proc = history(out, "--format", "json")
    assert proc.returncode == 0, proc.stderr
    [warning] = proc.stderr.splitlines()
    assert warning == f"benchlab: warning: {index} was of another index schema; rebuilt from the run folders"
    assert [r["run_id"] for r in json.loads(proc.stdout)["runs"]] == [run]
    assert history(out).stderr == ""
