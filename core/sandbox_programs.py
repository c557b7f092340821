"""How to build and run a program in each language inside a sandbox.

``program_command`` encodes what each toolchain needs to behave inside the
sandbox: Java gets an explicit heap (the JVM sizes its heap from host RAM when it
cannot see the cgroup limit) and the serial GC (fewer threads under the pids
limit); Rust gets ``--edition 2021`` (rustc defaults to 2015). Build outputs go
to the private /tmp so the work dir holds only what the program wrote. A provider
whose image offers a toolchain (``Sandbox.toolchains``) provides these commands.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from benchlab.sandbox import MiB, Limits


def java_heap_mb(limits: Limits) -> int:
    """Half the memory limit: the rest is for metaspace, code cache, threads and the program's children."""
    return max(32, limits.memory_bytes // MiB // 2)


def program_command(language: str, main: str, args: list[str] | tuple[str, ...] = (), *, limits: Limits | None = None) -> list[str]:
    """argv that builds (if needed) and runs ``main`` (a file in the work dir) with ``args``.

    Languages: python, node, node-test (Node's built-in test runner), c, cpp,
    java (``main`` is ``Name.java`` declaring class ``Name``), rust, go, shell.
    """
    limits = limits or Limits()
    stem = PurePosixPath(main).stem
    # Braces: a failed build must end the script with the compiler's status, not try to run nothing.
    built = '{ shift; exec /tmp/prog "$@"; }'
    if language == "python":
        return ["python3", main, *args]
    if language == "node":
        return ["node", main, *args]
    if language == "node-test":
        return ["node", "--test", main, *args]
    if language == "shell":
        return ["bash", main, *args]
    if language == "c":
        script = f'gcc -std=c17 -O2 -o /tmp/prog "$1" -lm && {built}'
    elif language == "cpp":
        script = f'g++ -std=c++17 -O2 -o /tmp/prog "$1" && {built}'
    elif language == "rust":
        script = f'rustc --edition 2021 -o /tmp/prog "$1" && {built}'
    elif language == "go":
        script = f'go build -o /tmp/prog "$1" && {built}'
    elif language == "java":
        heap = java_heap_mb(limits)
        script = (f'javac -J-Xmx{heap}m -J-XX:+UseSerialGC -d /tmp/classes "$1" && main_class="$2" && shift 2 && '
                  f'exec java -Xmx{heap}m -XX:+UseSerialGC -cp /tmp/classes "$main_class" "$@"')
        return ["sh", "-c", script, "sh", main, stem, *args]
    else:
        known = ", ".join(["python", "node", "node-test", "c", "cpp", "java", "rust", "go", "shell"])
        raise ValueError(f"unknown language {language!r} (known: {known})")
    return ["sh", "-c", script, "sh", main, *args]


# Crates the image prebuilt for Rust programs (the recipe's side: benchlab.sandboxes.rootfs):
# each top-level rlib as lib<name>.rlib in RUST_CRATES, their dependencies in RUST_CRATES/deps.
RUST_CRATES = "/usr/lib/benchlab/rust-crates"
RUST_CRATE_NAMES = ("tokio", "futures")


def rust_crate_flags(crates: list[str] | tuple[str, ...]) -> list[str]:
    """rustc flags linking ``crates`` (names from RUST_CRATE_NAMES) from the image's prebuilt set."""
    unknown = [c for c in crates if c not in RUST_CRATE_NAMES]
    if unknown:
        raise ValueError(f"no prebuilt crate {unknown[0]!r} (known: {', '.join(RUST_CRATE_NAMES)})")
    if not crates:
        return []
    return ["-L", f"dependency={RUST_CRATES}/deps", *(f"--extern={c}={RUST_CRATES}/lib{c}.rlib" for c in crates)]
