"""``benchlab compare`` end to end through the CLI: replay models, protocol-faithful OpenAI servers
(one that answers HTTP 404 like a pod proxy in front of a stopped pod, then comes up; one whose
scenario always fails with HTTP 500), a model added later, a model output holding a fence,
compare RUN RUN against diff, and the real llama-server as one model."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import benchlab, exact_scenario, write_pack
from servers.base import Answer, Request, Script, TestServer, running
from servers.faults import FaultServer
from servers.openai_compat import OpenAIChat

ANSWERS = {f"Say {i}": str(i) for i in range(1, 7)}
SCRIPT = Script({q: Answer(a) for q, a in ANSWERS.items()})
FENCED = "Here:\n```\necho hi\n```\nand ````four````"


def pack(tmp_path: Path, *extra: dict) -> Path:
    return write_pack(tmp_path / "mini", [exact_scenario(f"S{i}", f"Say {i}", str(i)) for i in range(1, 7)] + list(extra),
                      title="Mini")


def replay_file(path: Path, answers: dict[str, str]) -> Path:
    path.write_text("".join(json.dumps({"scenario": f"mini/{k}", "content": v}) + "\n" for k, v in answers.items()))
    return path


def models_file(tmp_path: Path, *tables: str) -> Path:
    path = tmp_path / "models.toml"
    path.write_text("\n".join(tables))
    return path


def replay_model(name: str, file: str, price: str = "") -> str:
    return f'[[model]]\nname = "{name}"\nbackend = "replay"\nreplay = "{file}"\n{price}\n'


def openai_model(name: str, url: str) -> str:
    return f'[[model]]\nname = "{name}"\nbackend = "openai"\nendpoint = "{url}"\nconcurrency = 2\n'


def compare_folder(out: Path) -> Path:
    found = sorted(out.glob("compare-*"))
    assert len(found) == 1, found
    return found[0]


def printed_command(stdout: str) -> list[str]:
    line = next(line for line in stdout.splitlines() if line.strip().startswith("benchlab compare --resume"))
    return shlex.split(line.strip())


def run_printed(argv: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    assert argv[0] == "benchlab"
    return subprocess.run([sys.executable, "-m", "benchlab", *argv[1:], "--no-progress"], capture_output=True, text=True,
                          timeout=300, cwd=cwd)


class PodProxy(TestServer):
    """An OpenAI server behind a proxy: while the pod is down the proxy answers every path with an
    HTML 404 page (what RunPod's proxy gives for a stopped pod); once up, the OpenAI routes answer."""

    def __init__(self, script: Script) -> None:
        super().__init__()
        self.up = False
        self.openai = OpenAIChat(script, model="big-model")
        self.route("GET", "/v1/models", lambda r: self._serve(r, self.openai.models))
        self.route("POST", "/v1/chat/completions", lambda r: self._serve(r, self.openai.chat))

    def _serve(self, request: Request, handler) -> None:
        if not self.up:
            request.send_html(404, "<html><body><h1>404 Not Found</h1></body></html>")
            return
        handler(request)


def test_replay_models_side_by_side_with_winners_outputs_and_a_fence(tmp_path):
    small = replay_file(tmp_path / "small.jsonl", {f"S{i}": str(i) for i in range(1, 7)})
    big = replay_file(tmp_path / "big.jsonl", {"S1": "1", "S2": FENCED, "S3": "3", "S4": "4", "S5": "5", "S6": "6"})
    models = models_file(tmp_path, replay_model("small", small.name, "price_per_mtok = { input = 1.0, output = 2.0 }"),
                         replay_model("big", big.name))
    out = tmp_path / "out"
    done = benchlab("compare", "--models", str(models), "--pack", str(pack(tmp_path)), "--out", str(out), "--no-progress")
    assert done.returncode == 0, done.stderr
    assert "| Task | small | big | Winner |" in done.stdout
    rows = {line.split(" | ")[0].lstrip("| "): line for line in done.stdout.splitlines() if line.startswith("| mini/")}
    assert rows["mini/S2"].endswith("| small |") and "FAIL (wrong_answer)" in rows["mini/S2"]
    assert rows["mini/S1"].endswith("| tie |")
    assert "| Mini | small | 6/6 (100%) |" in done.stdout and "| Mini | big | 5/6 (83%) |" in done.stdout
    assert "| 1 / 0 / 5 |" in done.stdout and "| 0 / 1 / 5 |" in done.stdout  # wins / losses / ties
    # One discordant pair of six: McNemar p = 1, and a sentence with the size that could go unseen.
    assert "exact McNemar, p = 1.000 | p = 1.000 |" in done.stdout
    assert "Verdict: no detectable difference on Mini: with 6 scenarios" in done.stdout
    assert "Agreement: same verdict 5/6 (83%)." in done.stdout
    assert "Outputs" not in done.stdout  # the outputs are in compare.md, not on stdout

    folder = compare_folder(out)
    report = (folder / "compare.md").read_text()
    # The output with a four-backtick run sits in a five-backtick fence, complete.
    assert "**big** (FAIL (wrong_answer)" in report
    assert "`````\n" + FENCED + "\n`````" in report
    saved = json.loads((folder / "compare.json").read_text())
    assert saved["schema_version"] >= 1 and [m["name"] for m in saved["models"]] == ["small", "big"]
    assert saved["models"][0]["price_per_mtok"] == {"input": 1.0, "output": 2.0}
    for member in saved["models"]:
        assert (out / member["run_id"] / "journal.jsonl").is_file()  # each model is a normal run


def test_an_unreachable_model_is_unavailable_with_the_servers_reason_and_the_printed_command_completes_it(tmp_path):
    small = replay_file(tmp_path / "small.jsonl", {f"S{i}": str(i) for i in range(1, 7)})
    proxy = PodProxy(SCRIPT)
    out = tmp_path / "my out"
    with running(proxy):
        models = models_file(tmp_path, replay_model("small", small.name), openai_model("big", proxy.url))
        first = benchlab("compare", "--models", str(models), "--pack", str(pack(tmp_path)), "--out", str(out), "--no-progress",
                         "--format", "md")
        assert first.returncode == 3, first.stderr
        assert "404" in first.stdout.split("- big:")[1].splitlines()[0]  # the reason the server gave
        assert "| mini/S1 | pass 1.00" in first.stdout and "| UNAVAILABLE | - |" in first.stdout
        assert "| Mini | big | 0/0 (n/a), 6 UNAVAILABLE |" in first.stdout
        argv = printed_command(first.stdout)
        folder = compare_folder(out)
        assert argv[:4] == ["benchlab", "compare", "--resume", folder.name.removeprefix("compare-")]
        assert argv[4:] == ["--only", "big", "--out", str(out)]
        assert "exit 3" in first.stderr and shlex.join(argv) in first.stderr
        small_run = json.loads((folder / "compare.json").read_text())["models"][0]["run_id"]

        proxy.up = True
        done = run_printed(argv, cwd=tmp_path.parent)  # from another folder: --out is absolute
    assert done.returncode == 0, done.stderr
    assert "| UNAVAILABLE" not in done.stdout and "UNAVAILABLE:" not in done.stdout
    assert "| Mini | big | 6/6 (100%) |" in done.stdout and "| Mini | small | 6/6 (100%) |" in done.stdout
    saved = json.loads((folder / "compare.json").read_text())
    assert saved["models"][0]["run_id"] == small_run  # small was not played again
    assert saved["models"][1]["run_id"] and saved["models"][1]["unavailable"] is None
    assert len(list(out.glob("2*"))) == 2  # two runs, one per model


def test_a_model_that_fails_mid_run_keeps_its_verdicts_and_its_unscored_scenarios_are_left_out_of_the_pairing(tmp_path):
    small = replay_file(tmp_path / "small.jsonl", {**{f"S{i}": str(i) for i in range(1, 7)}, "S7": "no"})
    server = FaultServer(SCRIPT)
    out = tmp_path / "out"
    with running(server):
        models = models_file(tmp_path, replay_model("small", small.name), openai_model("flaky", server.url))
        broken = exact_scenario("S7", "fault: 500", "ok")
        done = benchlab("compare", "--models", str(models), "--pack", str(pack(tmp_path, broken)), "--out", str(out),
                        "--no-progress", "--format", "json")
    assert done.returncode == 3, done.stderr
    report = json.loads(done.stdout)
    s7 = next(r for r in report["rows"] if r["scenario_id"] == "S7")
    assert s7["cells"]["flaky"]["unavailable"].startswith("server_error") and s7["winner"] is None
    assert report["packs"]["mini"][1]["scored"] == 6 and report["packs"]["mini"][1]["unavailable"] == 1
    assert report["pairs"][0]["packs"][0]["scenarios"] == 6  # S7 is not paired
    assert report["missing"] == [f"benchlab compare --resume {report['compare_id']} --only flaky --out {out}"]


def test_a_model_is_added_to_a_finished_comparison(tmp_path):
    small = replay_file(tmp_path / "small.jsonl", {f"S{i}": str(i) for i in range(1, 7)})
    later = replay_file(tmp_path / "later.jsonl", {f"S{i}": "0" for i in range(1, 7)})
    out = tmp_path / "out"
    models = models_file(tmp_path, replay_model("small", small.name), replay_model("mid", small.name))
    first = benchlab("compare", "--models", str(models), "--pack", str(pack(tmp_path)), "--out", str(out), "--no-progress")
    assert first.returncode == 0, first.stderr
    compare_id = compare_folder(out).name.removeprefix("compare-")
    runs_before = {p.name for p in out.glob("2*")}

    bigger = models_file(tmp_path, replay_model("small", small.name), replay_model("mid", small.name),
                         replay_model("later", later.name))
    unknown = benchlab("compare", "--resume", compare_id, "--only", "later", "--out", str(out), "--no-progress")
    assert unknown.returncode == 1 and unknown.stderr.count("\n") == 1
    assert "has no such model" in unknown.stderr and "--models FILE" in unknown.stderr
    added = benchlab("compare", "--resume", compare_id, "--models", str(bigger), "--only", "later", "--out", str(out), "--no-progress")
    assert added.returncode == 0, added.stderr
    assert "| Task | small | mid | later | Winner |" in added.stdout
    assert "### small vs later" in added.stdout and "### mid vs later" in added.stdout
    # 6 discordant pairs all one way: p = 2 / 2**6 = 0.031, Holm over one pack leaves it.
    assert "| Mini | 6 | 100% | 0% | -100 pts" in added.stdout and "exact McNemar, p = 0.031 | p = 0.031 |" in added.stdout
    assert "Verdict: small is better on Mini, p = 0.031." in added.stdout
    assert len({p.name for p in out.glob("2*")} - runs_before) == 1  # only the new model was played
    changing = benchlab("compare", "--resume", compare_id, "--repeat", "2", "--out", str(out), "--no-progress")
    assert changing.returncode == 1 and "--repeat cannot change on --resume" in changing.stderr


def test_compare_runs_that_exist_through_the_same_pairing_as_diff(tmp_path):
    out = tmp_path / "out"
    mini = pack(tmp_path)
    runs = []
    for name, answers in (("a", {f"S{i}": str(i) for i in range(1, 7)}), ("b", {f"S{i}": "x" for i in range(1, 7)})):
        replay = replay_file(tmp_path / f"{name}.jsonl", answers)
        done = benchlab("run", "--replay", str(replay), "--pack", str(mini), "--out", str(out), "--no-progress")
        assert done.returncode == 0, done.stderr
        runs += sorted(p.name for p in out.glob("2*") if p.name not in runs)
    compared = benchlab("compare", *runs, "--out", str(out), "--format", "json")
    diffed = benchlab("diff", *runs, "--out", str(out), "--format", "json")
    assert compared.returncode == 0 and diffed.returncode == 0, compared.stderr + diffed.stderr
    pair = json.loads(compared.stdout)["pairs"][0]["packs"][0]
    d = json.loads(diffed.stdout)["packs"][0]
    assert (pair["p"], pair["p_holm"], pair["rate_a"], pair["rate_b"]) == (d["p"], d["p_holm"], d["rate_a"], d["rate_b"])
    assert pair["difference"]["estimate"] == d["difference"]["estimate"] == -1.0
    # Both runs answer as the replay backend's model: the run ids name them.
    assert [m["name"] for m in json.loads(compared.stdout)["models"]] == runs


@pytest.mark.parametrize(("args", "expected"), [
    (["-e", "http://x"], "compare takes no -e/--endpoint"),
    (["-m", "gemma", "-b", "ollama"], "compare takes no -m/--model, -b/--backend"),
    (["-o", "keep_alive=1h"], "compare takes no -o/--backend-option"),
    ([], "compare needs --models FILE"),
    (["one-run"], "compare needs two runs or more"),
    (["--format", "junit", "a", "b"], "--format 'junit': compare prints md (the default) or json"),
])
def test_flags_about_one_model_are_refused_with_one_line(tmp_path, args, expected):
    done = benchlab("compare", *args, "--out", str(tmp_path))
    assert done.returncode == 1 and done.stderr.count("\n") == 1 and expected in done.stderr, done.stderr


def test_a_bad_models_file_is_one_located_line_and_no_model_starting_is_exit_1(tmp_path):
    bad = models_file(tmp_path, '[[model]]\nname = "x"\nbackend = "openai"\nendpont = "http://x"\n')
    done = benchlab("compare", "--models", str(bad), "--pack", str(pack(tmp_path)), "--out", str(tmp_path / "out"))
    assert done.returncode == 1 and done.stderr.count("\n") == 1
    assert f"{bad}:1: endpoint: missing" in done.stderr and "; line 4: endpont: unknown key (did you mean endpoint?)" in done.stderr
    with running(PodProxy(SCRIPT)) as proxy:
        down = models_file(tmp_path, openai_model("big", proxy.url))
        none = benchlab("compare", "--models", str(down), "--pack", str(pack(tmp_path)), "--out", str(tmp_path / "out"), "--no-progress")
    assert none.returncode == 1 and "no model could start" in none.stderr and "benchlab compare --resume" in none.stderr


@pytest.mark.llama
def test_the_real_llama_server_beside_a_replay_model(llama_server, tmp_path):
    small = replay_file(tmp_path / "small.jsonl", {f"S{i}": str(i) for i in range(1, 7)})
    models = models_file(tmp_path, replay_model("recorded", small.name),
                         f'[[model]]\nname = "smol"\nbackend = "llamacpp"\nendpoint = "{llama_server}"\n')
    out = tmp_path / "out"
    done = benchlab("compare", "--models", str(models), "--pack", str(pack(tmp_path)), "--out", str(out), "--no-progress",
                    "--format", "json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["unavailable_cells"] == 0 and len(report["rows"]) == 6
    smol = report["packs"]["mini"][1]
    assert smol["model"] == "smol" and smol["scored"] == 6 and smol["output_tokens"] > 0 and smol["p50_s"] > 0
    # SmolLM2 does not know these are exact-answer prompts as well as a recording does.
    assert report["pairs"][0]["packs"][0]["scenarios"] == 6
    compare_md = (compare_folder(out) / "compare.md").read_text()
    assert "**smol**" in compare_md and compare_md.count("**recorded**") == 6


def test_ctrl_c_keeps_every_run_and_the_printed_command_continues_them(tmp_path):
    import signal
    import time

    small = replay_file(tmp_path / "small.jsonl", {**{f"S{i}": str(i) for i in range(1, 7)}, "S7": "ok"})
    server = FaultServer(SCRIPT, slow_s=30)
    out = tmp_path / "out"
    with running(server):
        models = models_file(tmp_path, replay_model("small", small.name),
                             f'[[model]]\nname = "slow"\nbackend = "openai"\nendpoint = "{server.url}"\nconcurrency = 1\n')
        mini = pack(tmp_path, exact_scenario("S7", "fault: slow", "ok"))
        proc = subprocess.Popen([sys.executable, "-m", "benchlab", "compare", "--models", str(models), "--pack", str(mini),
                                 "--out", str(out), "--no-progress"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 120
        while server.attempts["fault: slow"] == 0 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert server.attempts["fault: slow"] == 1, "the slow scenario was never requested"
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=60)
        assert proc.returncode == 130, stderr
        command = stderr.split("interrupted; finish it with: ")[1].splitlines()[0]
        saved = json.loads((compare_folder(out) / "compare.json").read_text())
        slow_run = saved["models"][1]["run_id"]
        assert slow_run and (out / slow_run / "journal.jsonl").is_file()  # the interrupted run is the model's run

        server.slow_s = 0
        done = run_printed(shlex.split(command), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    saved = json.loads((compare_folder(out) / "compare.json").read_text())
    assert saved["models"][1]["run_id"] == slow_run  # continued, not started again
    assert "| Mini | slow | 7/7 (100%) |" in done.stdout
    assert server.attempts["Say 1"] == 1  # what the slow model had answered was kept


def test_the_key_comes_from_the_named_variable_and_reaches_no_file(tmp_path):
    secret = "sk-compare-secret-4242"
    server = TestServer()
    OpenAIChat(SCRIPT, model="keyed", api_key=secret).install(server)
    out = tmp_path / "out"
    with running(server):
        models = models_file(tmp_path, openai_model("keyed", server.url) + 'api_key_env = "CMP_TEST_KEY"\n',
                             replay_model("small", replay_file(tmp_path / "s.jsonl", {f"S{i}": str(i) for i in range(1, 7)}).name))
        unset = benchlab("compare", "--models", str(models), "--pack", str(pack(tmp_path)), "--out", str(out), "--no-progress",
                         env={"CMP_TEST_KEY": ""})
        assert unset.returncode == 3 and "CMP_TEST_KEY is not set" in unset.stderr and "401" in unset.stdout
        done = benchlab("compare", "--resume", compare_folder(out).name, "--out", str(out), "--no-progress",
                        env={"CMP_TEST_KEY": secret})
    assert done.returncode == 0, done.stderr
    assert secret not in done.stdout + done.stderr
    for path in out.rglob("*"):
        if path.is_file():
            assert secret.encode() not in path.read_bytes(), path
