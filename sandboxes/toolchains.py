"""The toolchains the built-in root filesystem provides: each language's Debian packages.

How a program is built and run in each language is core's contract with verifiers
(``benchlab.sandbox_programs``); this is the image recipe's side of it.
"""

from __future__ import annotations

import attrs


@attrs.frozen
class Toolchain:
    """A language the image provides: its Debian packages and a version command."""

    name: str
    packages: tuple[str, ...]
    version_command: tuple[str, ...]
    # A file that must exist too (where the toolchain is more than a command on PATH).
    requires_file: str | None = None


TOOLCHAINS: dict[str, Toolchain] = {
    t.name: t
    for t in (
        Toolchain("python", ("python3",), ("python3", "--version")),
        Toolchain("node", ("nodejs",), ("node", "--version")),
        Toolchain("c", ("g++",), ("gcc", "--version")),
        Toolchain("cpp", ("g++",), ("g++", "--version")),
        Toolchain("java", ("default-jdk-headless",), ("javac", "-version")),
        Toolchain("rust", ("rustc", "cargo"), ("rustc", "--version")),
        # Rust with the prebuilt crates (benchlab.sandbox_programs.rust_crate_flags links them).
        Toolchain("rust-crates", ("rustc", "cargo", "librust-tokio-dev", "librust-futures-dev"), ("rustc", "--version"),
                  requires_file="/usr/lib/benchlab/rust-crates/libtokio.rlib"),
        Toolchain("go", ("golang-go",), ("go", "version")),
        Toolchain("shell", ("bash", "coreutils"), ("bash", "--version")),
    )
}


def image_toolchains(packages: tuple[str, ...]) -> frozenset[str]:
    """Toolchains whose packages are all in an image built from ``packages``."""
    return frozenset(t.name for t in TOOLCHAINS.values() if set(t.packages) <= set(packages))


def rootfs_toolchains() -> frozenset[str]:
    """What the built-in root filesystem (docker's image, bwrap's root) offers."""
    from benchlab.sandboxes.rootfs import APT_PACKAGES, PACKAGES

    return image_toolchains(PACKAGES + APT_PACKAGES)
