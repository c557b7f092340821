"""Which sandbox a run gets, what the report says about it, and how --unsafe-local is confined to a last resort.

"No provider can run here" is simulated, since this machine has both: the
subprocess gets ``DOCKER_HOST`` pointing at a socket that does not exist (the
docker SDK then finds no engine) and a ``PATH`` without bubblewrap (the bwrap
and unsafe-local providers look it up on PATH). Everything else is real: the
CLI, the packs, the local HTTP server standing in for the model, the providers.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import pytest

from benchlab.errors import BenchlabError
from benchlab.plugin_manager import load_plugins
from benchlab.registry import Registry
from benchlab.sandboxes.docker_provider import DockerSandbox
from benchlab.sandbox_selection import choose_sandbox
from helpers import REPO, benchlab, one_error_line, run_record
from sandbox_helpers import no_sandbox_env, require
from servers.base import Answer, Script, TestServer, running
from servers.openai_compat import OpenAIChat

GOLDS = [json.loads(line) for line in (REPO / "packs" / "bugfind-15" / "proofs.jsonl").read_text().splitlines() if line.strip()]
BF01_GOLD = next(c["content"] for c in GOLDS if c["kind"] == "gold" and c["scenario"] == "BF-01")


def replay_bf01(tmp_path: Path) -> Path:
    replay = tmp_path / "r.jsonl"
    replay.write_text(json.dumps({"scenario": "bugfind-15/BF-01", "content": BF01_GOLD}) + "\n")
    return replay


def some_sandbox_works() -> str:
    choice = choose_sandbox(load_plugins().sandboxes)
    require(choice.provider is not None, f"no sandbox can run here: {choice.reason}")
    return choice.provider.name


# -- --unsafe-local ---------------------------------------------------------------------------


def test_naming_unsafe_local_without_the_flag_is_one_clear_error(tmp_path):
    run = benchlab("run", "--scenario", "bugfind-15/BF-01", "--replay", str(replay_bf01(tmp_path)),
                   "--sandbox", "unsafe-local", "--out", str(tmp_path / "out"), "--no-progress")
    assert "add --unsafe-local to confirm" in one_error_line(run)
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())
    exec_ = benchlab("sandbox", "exec", "--sandbox", "unsafe-local", "--", "sh", "-c", "echo ran > /tmp/benchlab-should-not-exist")
    assert "add --unsafe-local to confirm" in one_error_line(exec_)
    assert exec_.stdout == ""
    with pytest.raises(BenchlabError, match="UNCONFINED"):
        choose_sandbox(load_plugins().sandboxes, "unsafe-local")


def test_unsafe_local_never_replaces_a_working_sandbox(tmp_path):
    working = some_sandbox_works()
    choice = choose_sandbox(load_plugins().sandboxes, unsafe_local=True)
    assert choice.provider is not None and choice.provider.name == working
    named = choose_sandbox(load_plugins().sandboxes, working, unsafe_local=True)
    assert named.provider.name == working
    proc = benchlab("run", "--scenario", "bugfind-15/BF-01", "--replay", str(replay_bf01(tmp_path)), "--unsafe-local",
                    "--out", str(tmp_path / "out"), "--no-progress")
    assert proc.returncode == 0, proc.stderr
    record = run_record(tmp_path / "out")
    assert record["probe"]["sandbox"]["provider"] == working and record["probe"]["sandbox"]["unconfined"] is False
    assert "UNCONFINED" not in proc.stdout + proc.stderr


def test_unsafe_local_is_the_last_resort_when_no_sandbox_can_run(tmp_path):
    """A registry of docker (pointed at an engine that does not exist) and unsafe-local: the real classes."""
    plugins = load_plugins()
    registry = Registry("sandbox")
    registry.add("docker", functools.partial(DockerSandbox, base_url=f"unix://{tmp_path}/no-engine.sock"), plugin="test")
    registry.add("unsafe-local", plugins.sandboxes.entry("unsafe-local").target, plugin="test")
    assert choose_sandbox(registry).provider is None
    require(plugins.sandboxes.get("unsafe-local")().available().ok, "unsafe-local needs bubblewrap")
    choice = choose_sandbox(registry, unsafe_local=True)
    assert choice.provider.name == "unsafe-local"
    assert "UNCONFINED" in choice.reason
    assert [c.name for c in choice.rejected] == ["docker"] and "no Docker engine" in choice.rejected[0].availability.reason


def test_unsafe_local_that_cannot_run_either_is_one_clear_error(tmp_path):
    proc = benchlab("run", "--scenario", "bugfind-15/BF-01", "--replay", str(replay_bf01(tmp_path)), "--unsafe-local",
                    "--out", str(tmp_path / "out"), "--no-progress", env=no_sandbox_env(tmp_path))
    line = one_error_line(proc)
    assert "--unsafe-local: unsafe-local cannot run here: bubblewrap is not installed" in line
    assert "fix: apt-get install -y bubblewrap" in line


# -- what the report says ----------------------------------------------------------------------


def test_the_report_says_which_sandbox_ran_and_why_the_others_did_not(tmp_path):
    working = some_sandbox_works()
    proc = benchlab("run", "--scenario", "bugfind-15/BF-01", "--replay", str(replay_bf01(tmp_path)),
                    "--out", str(tmp_path / "out"), "--no-progress")
    assert proc.returncode == 0, proc.stderr
    record = run_record(tmp_path / "out")
    assert record["results"][0]["passed"] is True
    facts = record["probe"]["sandbox"]
    report = next((tmp_path / "out").iterdir()).joinpath("report.md").read_text()
    others = {o["provider"] for o in facts["not_chosen"]}
    assert facts["provider"] == working and others == {"docker", "bwrap"} - {working}
    for text in (report, proc.stdout, proc.stderr):
        assert f"Sandbox: {working}: " in text
        for other in others:
            assert f"Sandbox not used: {other}: " in text
        assert "UNCONFINED" not in text


def test_a_sandbox_named_with_the_flag_reports_the_others_as_not_asked_for(tmp_path):
    working = some_sandbox_works()
    proc = benchlab("run", "--scenario", "bugfind-15/BF-01", "--replay", str(replay_bf01(tmp_path)),
                    "--sandbox", working, "--out", str(tmp_path / "out"), "--no-progress")
    assert proc.returncode == 0, proc.stderr
    facts = run_record(tmp_path / "out")["probe"]["sandbox"]
    assert facts["provider"] == working
    assert {o["provider"] for o in facts["not_chosen"]} == {"docker", "bwrap"} - {working}
    other = ({"docker", "bwrap"} - {working}).pop()
    assert f"Sandbox not used: {other}: not asked for (--sandbox {working})" in proc.stdout


def test_the_report_says_loudly_when_code_ran_unconfined(tmp_path):
    require(load_plugins().sandboxes.get("unsafe-local")().available().ok, "unsafe-local needs bubblewrap")
    proc = benchlab("run", "--scenario", "bugfind-15/BF-01", "--replay", str(replay_bf01(tmp_path)),
                    "--sandbox", "unsafe-local", "--unsafe-local", "--out", str(tmp_path / "out"), "--no-progress")
    assert proc.returncode == 0, proc.stderr
    record = run_record(tmp_path / "out")
    assert record["probe"]["sandbox"]["provider"] == "unsafe-local" and record["probe"]["sandbox"]["unconfined"] is True
    report = next((tmp_path / "out").iterdir()).joinpath("report.md").read_text()
    assert "**UNCONFINED: model-written code ran on this host with NO sandbox (--unsafe-local)**" in report
    assert "UNCONFINED: model-written code ran on this host" in proc.stderr


# -- no sandbox at all -------------------------------------------------------------------------


def test_with_no_sandbox_code_packs_are_unavailable_with_reasons_and_fixes_and_no_request_is_sent(tmp_path):
    server = TestServer()
    OpenAIChat(Script({}, default=Answer(BF01_GOLD))).install(server)
    with running(server):
        proc = benchlab("run", "--backend", "openai", "--endpoint", server.url + "/v1", "--timeout-per-case", "30",
                        "--scenario", "bugfind-15/BF-01", "--scenario", "cli-40/" + first_scenario("cli-40"),
                        "--out", str(tmp_path / "out"), "--no-progress",
                        env={**no_sandbox_env(tmp_path), "OPENAI_API_KEY": "", "BENCHLAB_API_KEY": ""})
        asked = server.bodies("/v1/chat/completions")
    assert "Traceback" not in proc.stderr, proc.stderr
    assert asked == []
    record = run_record(tmp_path / "out")
    assert {r["failure_mode"] for r in record["results"]} == {"sandbox_unavailable"}
    for result in record["results"]:
        assert "docker: no Docker engine answers" in result["detail"] and "fix: start the Docker engine" in result["detail"]
        assert "bwrap: bubblewrap is not installed (fix: apt-get install -y bubblewrap)" in result["detail"]
    report = next((tmp_path / "out").iterdir()).joinpath("report.md").read_text()
    assert "Sandbox: none can run here" in report
    assert "Sandbox not used: bwrap: bubblewrap is not installed (fix: apt-get install -y bubblewrap)" in report


def first_scenario(pack: str) -> str:
    lines = (REPO / "packs" / pack / "scenarios.jsonl").read_text().splitlines()
    return json.loads(lines[0])["id"]


def test_doctor_exits_1_when_no_provider_works(tmp_path):
    proc = benchlab("sandbox", "doctor", env=no_sandbox_env(tmp_path))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    assert "docker   no  no Docker engine answers" in proc.stdout
    assert "bwrap    no  bubblewrap is not installed" in proc.stdout and "fix: apt-get install -y bubblewrap" in proc.stdout
    assert "no sandbox can run here" in proc.stdout


# -- pack filters ------------------------------------------------------------------------------


@pytest.mark.parametrize("flag, kept", [("--no-sandboxed", "toolcall-15"), ("--sandboxed-only", "bugfind-15")])
def test_the_sandboxed_filters_keep_only_their_side(tmp_path, flag, kept):
    """The replay file answers one scenario of each pack; a replay run plays only what the file answers."""
    replay = replay_bf01(tmp_path)
    with replay.open("a") as handle:
        handle.write(json.dumps({"scenario": f"toolcall-15/{first_scenario('toolcall-15')}", "content": "no call"}) + "\n")
    proc = benchlab("run", "--pack", "bugfind-15", "--pack", "toolcall-15", flag,
                    "--replay", str(replay), "--out", str(tmp_path / "out"), "--no-progress")
    assert "Traceback" not in proc.stderr, proc.stderr
    record = run_record(tmp_path / "out")
    assert [p["pack"] for p in record["packs"]] == [kept]
    assert {r["pack"] for r in record["results"]} == {kept}


def test_a_sandboxed_filter_that_leaves_nothing_is_an_error(tmp_path):
    proc = benchlab("run", "--pack", "bugfind-15", "--no-sandboxed", "--replay", str(replay_bf01(tmp_path)),
                    "--out", str(tmp_path / "out"), "--no-progress")
    assert "no selected pack is left after --no-sandboxed" in one_error_line(proc)
    both = benchlab("run", "--no-sandboxed", "--sandboxed-only", "--replay", str(replay_bf01(tmp_path)))
    assert "exclude each other" in one_error_line(both)


def test_full_without_sandboxed_packs_is_medium_plus_the_unsandboxed_full_packs(tmp_path):
    """The selection the CLI makes, called in-process (a whole --full replay run would take minutes)."""
    from benchlab.cli.options import SelectionFlags
    from benchlab.selection import plan_run

    plugins = load_plugins()

    def ids(modes, sandboxed):
        flags = SelectionFlags(modes=modes, packs=[], scenarios=[], sandboxed=sandboxed, full_dataset=False, repeat=1)
        return [p.id for p in plan_run(flags, plugins).packs]

    full = ids(["full"], "all")
    unsandboxed = ids(["full"], "none")
    only = ids(["full"], "only")
    assert set(unsandboxed) | set(only) == set(full) and not set(unsandboxed) & set(only)
    assert set(ids(["medium"], "all")) <= set(unsandboxed)
    assert {"bugfind-15", "cli-40"} <= set(only) and "hermesagent-20" in unsandboxed


BROKEN_BUILD = '''
from benchlab import hookimpl
from benchlab.sandbox import Availability, Sandbox, SandboxSetupError


class BrokenBuild(Sandbox):
    name = "broken-build"

    def available(self):
        return Availability(True, "stand-in whose image build fails")

    def image_ready(self):
        return False

    def _prepare(self, progress):
        raise SandboxSetupError("debootstrap failed: stand-in")

    def _execute(self, request, handle):
        raise AssertionError("nothing may run after a failed build")


@hookimpl
def register_sandboxes(register):
    register("broken-build", BrokenBuild)
'''


def test_a_sandbox_whose_image_cannot_be_built_gives_sandbox_error_and_no_request(tmp_path):
    """Simulated: an image build that fails (a real one takes minutes and a mirror), by a provider in a --plugin file."""
    plugin = tmp_path / "broken.py"
    plugin.write_text(BROKEN_BUILD)
    server = TestServer()
    OpenAIChat(Script({}, default=Answer(BF01_GOLD))).install(server)
    with running(server):
        proc = benchlab("run", "--plugin", str(plugin), "--sandbox", "broken-build", "--backend", "openai",
                        "--endpoint", server.url + "/v1", "--timeout-per-case", "30", "--scenario", "bugfind-15/BF-01",
                        "--out", str(tmp_path / "out"), "--no-progress", env={"OPENAI_API_KEY": "", "BENCHLAB_API_KEY": ""})
        asked = server.bodies("/v1/chat/completions")
    assert "Traceback" not in proc.stderr, proc.stderr
    assert asked == []
    assert proc.returncode == 1 and "benchlab: error: sandbox broken-build could not be prepared" in proc.stderr  # a sandbox that cannot start
    (result,) = run_record(tmp_path / "out")["results"]
    assert result["failure_mode"] == "sandbox_error"
    assert "sandbox broken-build could not be prepared: debootstrap failed: stand-in" in result["detail"]
