"""Command lines click would accept with a silent guess are one error line instead: a
single-valued option or a flag given twice (on any command, those of plugins included),
contradictory modes, and an unknown ``sandbox build --sandbox``. Options declared repeatable
stay repeatable. All through the real CLI."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import benchlab, exact_scenario, one_error_line, run_record, write_pack, write_replay


@pytest.mark.parametrize(("args", "message"), [
    (["run", "-e", "http://127.0.0.1:9", "-e", "http://127.0.0.1:10"], "--endpoint/-e given more than once; it takes one value"),
    (["run", "-m", "a", "--model", "b"], "--model/-m given more than once; it takes one value"),
    (["run", "--out=x", "--out", "y"], "--out given more than once; it takes one value"),
    (["run", "--quick", "--quick"], "--quick given more than once; give it once"),
    (["run", "--enable-thinking", "--no-thinking"], "--enable-thinking/--no-thinking given more than once; give one of them, once"),
    (["probe", "http://127.0.0.1:9", "-b", "openai", "-b", "ollama"], "--backend/-b given more than once; it takes one value"),
    (["--version", "--version"], "--version given more than once; give it once"),
    # A command a plugin adds (the sandbox plugin's) is covered too.
    (["sandbox", "exec", "--timeout", "1", "--timeout", "2", "--", "true"], "--timeout given more than once; it takes one value"),
])
def test_a_single_valued_option_given_twice_is_one_line(tmp_path: Path, args: list[str], message: str) -> None:
    proc = benchlab(*args, cwd=tmp_path)
    assert one_error_line(proc) == f"benchlab: error: {message}"
    assert list(tmp_path.iterdir()) == []  # nothing ran: no results folder


@pytest.mark.parametrize(("flags", "message"), [
    (["--quick", "--full"], "--quick and --full given together: --quick, --medium and --full exclude each other; "
                            "give one (without any: --medium)"),
    (["--quick", "--medium", "--full"], "--quick, --medium and --full exclude each other; give one (without any: --medium)"),
    (["--no-sandboxed", "--sandboxed-only"], "--no-sandboxed and --sandboxed-only exclude each other; give one"),
])
def test_modes_that_exclude_each_other_are_one_line(tmp_path: Path, flags: list[str], message: str) -> None:
    proc = benchlab("run", *flags, "--negative-control", "--out", str(tmp_path / "out"))
    assert one_error_line(proc) == f"benchlab: error: {message}"
    assert not (tmp_path / "out").exists()


def test_repeatable_options_stay_repeatable(tmp_path: Path) -> None:
    """--pack, --scenario and --backend-option (-o) given twice each: the run takes both values."""
    one = write_pack(tmp_path / "one", [exact_scenario("A", "Say OK", "OK")])
    two = write_pack(tmp_path / "two", [exact_scenario("B", "Say no", "no")])
    replay = write_replay(tmp_path / "r.jsonl", {"one/A": "OK", "two/B": "no"})
    out = tmp_path / "out"
    proc = benchlab("run", "--pack", str(one), "--pack", str(two), "--scenario", "one/A", "--scenario", "two/B",
                    "--replay", str(replay), "--out", str(out), "--no-progress")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert {(r["pack"], r["scenario_id"], r["passed"]) for r in run_record(out)["results"]} == {("one", "A", True), ("two", "B", True)}


def test_sandbox_build_names_an_unknown_provider_before_building_anything(tmp_path: Path) -> None:
    """The cache is an empty folder and PATH has no debootstrap: a build that started anyway would
    fail there, blaming debootstrap, instead of naming the provider."""
    cache, empty = tmp_path / "cache", tmp_path / "empty-path"
    empty.mkdir()
    proc = benchlab("sandbox", "build", "--sandbox", "dockr", env={"BENCHLAB_CACHE_DIR": str(cache), "PATH": str(empty)})
    line = one_error_line(proc)
    assert line.startswith("benchlab: error: --sandbox: unknown sandbox 'dockr'; did you mean 'docker'? (available: "), line
    assert "debootstrap" not in proc.stderr
    assert not cache.exists() or list(cache.rglob("*")) == []

