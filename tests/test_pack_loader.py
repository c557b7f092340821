"""Pack validation: every defect is reported as PATH:LINE: field: message, before any request."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchlab.errors import BenchlabError, PackError
from benchlab.pack_loader import load_pack_folder
from benchlab.plugin_manager import load_plugins

from helpers import benchlab, exact_scenario, one_error_line, write_pack


@pytest.fixture(scope="module")
def plugins():
    return load_plugins()


def load(folder: Path, plugins):
    return load_pack_folder(folder, plugins.verifiers, plugins.drivers)


def test_valid_pack_loads(tmp_path, plugins):
    folder = write_pack(tmp_path / "mini", [exact_scenario("A", "q", "a"), exact_scenario("B", "q", "b")], floor=0.5)
    pack = load(folder, plugins)
    assert pack.id == "mini"
    assert [s.id for s in pack.scenarios] == ["A", "B"]
    assert pack.scenarios[1].line == 2
    assert pack.manifest.floor == 0.5
    assert pack.needs_sandbox is False


def error_of(folder: Path, plugins) -> PackError:
    with pytest.raises(PackError) as caught:
        load(folder, plugins)
    return caught.value


def test_invalid_toml_names_the_line(tmp_path, plugins):
    folder = write_pack(tmp_path / "p", [exact_scenario("A", "q", "a")])
    (folder / "pack.toml").write_text('id = "p"\nversion = "1"\ntitle = = "x"\n')
    err = error_of(folder, plugins)
    assert err.path.endswith("pack.toml") and err.line == 3 and err.field == "toml"


def test_missing_manifest_field(tmp_path, plugins):
    folder = write_pack(tmp_path / "p", [exact_scenario("A", "q", "a")], dimension=None)
    err = error_of(folder, plugins)
    assert (err.field, err.message) == ("dimension", "missing required field")


def test_mistyped_manifest_field_points_at_its_line(tmp_path, plugins):
    folder = write_pack(tmp_path / "p", [exact_scenario("A", "q", "a")])
    text = (folder / "pack.toml").read_text().replace("default_max_seconds = 30", 'default_max_seconds = "soon"')
    (folder / "pack.toml").write_text(text)
    err = error_of(folder, plugins)
    assert err.field == "default_max_seconds"
    assert err.line == text.splitlines().index('default_max_seconds = "soon"') + 1


def test_every_manifest_problem_is_reported_at_once(tmp_path):
    """Missing fields, a value out of range and an unknown field: one line names them all, so
    one edit fixes the manifest instead of one round trip per field."""
    folder = write_pack(tmp_path / "p", [exact_scenario("A", "q", "a")])
    (folder / "pack.toml").write_text(
        'dimension = "test"\ndefault_thinking = false\ndefault_max_seconds = 30\nfloor = 2\ncolour = "red"\n'
    )
    line = one_error_line(benchlab("packs", "validate", str(folder)))
    assert line == (f"benchlab: error: {folder / 'pack.toml'}:1: id, version, title: missing required fields; "
                    "line 4: floor: a fraction between 0 and 1; line 5: colour: unknown field")


def test_invalid_json_line(tmp_path, plugins):
    folder = write_pack(tmp_path / "p", [exact_scenario("A", "q", "a")])
    with (folder / "scenarios.jsonl").open("a") as handle:
        handle.write('{"id": "B", "messages": [}\n')
    err = error_of(folder, plugins)
    assert err.path.endswith("scenarios.jsonl") and err.line == 2 and err.field == "json"
    assert str(err).startswith(f"{folder / 'scenarios.jsonl'}:2: json: ")


def test_missing_scenario_field(tmp_path, plugins):
    bad = exact_scenario("B", "q", "b")
    del bad["verifier"]
    err = error_of(write_pack(tmp_path / "p", [exact_scenario("A", "q", "a"), bad]), plugins)
    assert (err.line, err.field, err.message) == (2, "verifier", "missing required field")


def test_duplicate_id_names_the_second_line(tmp_path, plugins):
    scenarios = [exact_scenario("A", "q", "a"), exact_scenario("B", "q", "b"), exact_scenario("A", "q", "c")]
    err = error_of(write_pack(tmp_path / "p", scenarios), plugins)
    assert (err.line, err.field) == (3, "id")
    assert "first on line 1" in err.message


def test_unknown_verifier_kind_suggests(tmp_path, plugins):
    bad = exact_scenario("A", "q", "a")
    bad["verifier"]["kind"] = "exakt"
    err = error_of(write_pack(tmp_path / "p", [bad]), plugins)
    assert (err.line, err.field) == (1, "verifier.kind")
    assert "did you mean 'exact'" in err.message


def test_bad_verifier_param(tmp_path, plugins):
    bad = {"id": "A", "messages": [{"role": "user", "content": "q"}], "verifier": {"kind": "numeric", "expected": "42"}}
    err = error_of(write_pack(tmp_path / "p", [bad]), plugins)
    assert err.field == "verifier.expected" and "number" in err.message


def test_empty_scenarios_file(tmp_path, plugins):
    folder = write_pack(tmp_path / "p", [])
    (folder / "scenarios.jsonl").write_text("\n\n")
    err = error_of(folder, plugins)
    assert (err.line, err.field) == (1, "scenarios")


def test_unknown_scenario_field_is_an_error(tmp_path, plugins):
    bad = exact_scenario("A", "q", "a")
    bad["verfier"] = {}
    err = error_of(write_pack(tmp_path / "p", [bad]), plugins)
    assert err.field == "verfier"


def test_not_a_folder(tmp_path, plugins):
    with pytest.raises(BenchlabError):
        load(tmp_path / "nothing", plugins)


def test_cli_reports_pack_error_in_one_line_before_any_request(tmp_path):
    """The endpoint is a closed port: the pack error must come first, with exit 1 and no traceback."""
    bad = exact_scenario("A", "q", "a")
    bad["verifier"]["kind"] = "nope"
    folder = write_pack(tmp_path / "broken", [bad])
    proc = benchlab("run", "--pack", str(folder), "--endpoint", "http://127.0.0.1:9", "--out", str(tmp_path / "out"))
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith(f"benchlab: error: {folder / 'scenarios.jsonl'}:1: verifier.kind: unknown verifier")
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "out").exists()


def test_cli_unknown_pack_id(tmp_path):
    proc = benchlab("run", "--pack", "toolcal-15", "--replay", str(tmp_path / "x.jsonl"), "--out", str(tmp_path / "o"))
    assert proc.returncode == 1
    assert "unknown pack 'toolcal-15'" in proc.stderr and "did you mean 'toolcall-15'" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_scenarios_file_line_numbers_count_blank_lines(tmp_path, plugins):
    folder = write_pack(tmp_path / "p", [exact_scenario("A", "q", "a")])
    (folder / "scenarios.jsonl").write_text(json.dumps(exact_scenario("A", "q", "a")) + "\n\n" + "[1]\n")
    err = error_of(folder, plugins)
    assert (err.line, err.field) == (3, "scenario")


def test_packs_list_shows_every_registered_pack_with_its_facts():
    proc = benchlab("packs", "list")
    assert proc.returncode == 0, proc.stderr
    rows = {line.split()[0]: line.split() for line in proc.stdout.splitlines()[1:]}
    assert rows["toolcall-15"][1:5] == ["1.2.0", "15", "quick,medium,full", "no"]
    assert rows["cli-40"][2:5] == ["40", "full", "yes"]
    assert "INVALID" not in proc.stdout
    assert {"humaneval", "aider-polyglot-30", "hermesagent-20", "bugfind-15"} <= set(rows)


def test_packs_show_lists_scenarios_and_a_broken_folder_is_one_line(tmp_path):
    proc = benchlab("packs", "show", "reasonmath-15")
    assert proc.returncode == 0 and "ReasonMath-15 (reasonmath-15 v1.0.0)" in proc.stdout
    assert sum(line.strip().startswith("RM-") for line in proc.stdout.splitlines()) == 15
    folder = write_pack(tmp_path / "broken", [exact_scenario("A", "q", "a"), exact_scenario("A", "q", "b")])
    proc = benchlab("packs", "validate", str(folder))
    assert proc.returncode == 1 and proc.stderr.strip().endswith("id: duplicate id 'A' (first on line 1)")
