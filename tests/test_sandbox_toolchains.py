"""Every language of the root filesystem builds and runs a real program inside a real sandbox.

Run on both providers: the image is the same, but the limits differ in how
toolchains see them (the JVM sees Docker's memory limit, not a bare cgroup's).
"""

from __future__ import annotations

import pytest

from sandbox_helpers import PROVIDERS, prepared_provider

from benchlab.sandbox import MiB, ExecRequest, Limits, Sandbox
from benchlab.sandbox_programs import java_heap_mb, program_command
from benchlab.sandboxes.toolchains import TOOLCHAINS


@pytest.fixture(params=PROVIDERS, scope="module")
def sandbox(request: pytest.FixtureRequest) -> Sandbox:
    return prepared_provider(request.param)


def run(sandbox: Sandbox, language: str, main: str, source: str, stdin: str | None = None,
        toolchain: str | None = None, args: tuple[str, ...] = (), **limits: float) -> object:
    lim = Limits(**{"wall_seconds": 30, **limits})  # type: ignore[arg-type]
    request = ExecRequest(program_command(language, main, args, limits=lim), files={main: source}, stdin=stdin,
                          toolchains={toolchain or language}, limits=lim)
    result = sandbox.run_sync(request)
    assert result.sandbox_failure is None, result.detail
    return result


def test_python(sandbox: Sandbox) -> None:
    result = run(sandbox, "python", "main.py", "import sys\nprint(sum(int(x) for x in sys.stdin.read().split()))\n",
                 stdin="1 2 3 4\n")
    assert (result.exit_code, result.stdout) == (0, "10\n"), result.stderr


def test_node_and_its_test_runner(sandbox: Sandbox) -> None:
    result = run(sandbox, "node", "main.js", "console.log([3, 1, 2].sort().join(','))\n")
    assert (result.exit_code, result.stdout) == (0, "1,2,3\n"), result.stderr
    passing = """
const test = require('node:test');
const assert = require('node:assert');
test('adds', () => { assert.strictEqual(1 + 1, 2); });
"""
    result = run(sandbox, "node-test", "sum.test.js", passing, toolchain="node")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "pass 1" in result.stdout
    failing = passing.replace("2);", "3);")
    result = run(sandbox, "node-test", "sum.test.js", failing, toolchain="node")
    assert result.exit_code == 1, result.stdout + result.stderr
    assert "fail 1" in result.stdout


def test_cpp(sandbox: Sandbox) -> None:
    source = """
#include <iostream>
#include <vector>
#include <numeric>
int main() { std::vector<long> v; long x; while (std::cin >> x) v.push_back(x);
  std::cout << std::accumulate(v.begin(), v.end(), 0L) << "\\n"; }
"""
    result = run(sandbox, "cpp", "main.cpp", source, stdin="5 6 7")
    assert (result.exit_code, result.stdout) == (0, "18\n"), result.stderr
    assert set(result.files) == {"main.cpp"}  # the binary went to /tmp, not the work dir


def test_c(sandbox: Sandbox) -> None:
    result = run(sandbox, "c", "main.c", '#include <stdio.h>\n#include <math.h>\nint main(void){printf("%.0f\\n", sqrt(81.0));}\n')
    assert (result.exit_code, result.stdout) == (0, "9\n"), result.stderr


def test_java_under_a_memory_limit(sandbox: Sandbox) -> None:
    source = """
public class Main {
  public static void main(String[] args) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < 3; i++) sb.append(i);
    System.out.println(sb + " " + (Runtime.getRuntime().maxMemory() / (1024 * 1024)));
  }
}
"""
    limits = Limits(memory_bytes=512 * MiB)
    result = run(sandbox, "java", "Main.java", source, memory_bytes=512 * MiB)
    assert result.exit_code == 0, result.stderr
    digits, heap = result.stdout.split()
    assert digits == "012"
    # The heap is what we asked for, not a quarter of the host's 24 GiB.
    assert int(heap) <= java_heap_mb(limits)


def test_rust_builds_as_edition_2021(sandbox: Sandbox) -> None:
    # TryFrom is in the 2021 prelude only: under rustc's default edition (2015) this does not compile.
    source = 'fn main() { let x = u8::try_from(300u32).unwrap_or(7); println!("{}", x); }\n'
    result = run(sandbox, "rust", "main.rs", source)
    assert (result.exit_code, result.stdout) == (0, "7\n"), result.stderr


def test_go(sandbox: Sandbox) -> None:
    source = 'package main\nimport "fmt"\nfunc main() { fmt.Println("go", 6*7) }\n'
    result = run(sandbox, "go", "main.go", source)
    assert (result.exit_code, result.stdout) == (0, "go 42\n"), result.stderr


def test_shell(sandbox: Sandbox) -> None:
    result = run(sandbox, "shell", "task.sh", 'mkdir -p out && printf "%s\\n" "$@" > out/args.txt && echo done\n',
                 args=("a", "b c"))
    assert (result.exit_code, result.stdout) == (0, "done\n"), result.stderr
    assert result.files["out/args.txt"] == b"a\nb c\n"


def test_every_toolchain_reports_a_version(sandbox: Sandbox) -> None:
    script = " && ".join(" ".join(t.version_command) + " >/dev/null 2>&1" for t in TOOLCHAINS.values()) + " && echo all"
    result = sandbox.run_sync(ExecRequest(["sh", "-c", script], toolchains=set(TOOLCHAINS), limits=Limits(wall_seconds=30)))
    assert (result.exit_code, result.stdout) == (0, "all\n"), result.stderr


def test_unknown_language_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown language 'cobol'"):
        program_command("cobol", "main.cob")
