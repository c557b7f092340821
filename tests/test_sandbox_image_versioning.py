"""The root filesystem and the Docker image are versioned by the recipe hash: rebuilt when the recipe changes, only then.

The debootstrap build itself (minutes, needs a mirror) is replaced by a stand-in
that writes a tarball and counts its calls; the cache folder is a temporary one
(``BENCHLAB_CACHE_DIR``). The stale-image clean-up runs against the real engine
with a tiny image imported for the purpose.
"""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

from benchlab.sandboxes import rootfs
from sandbox_helpers import prepared_provider


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("BENCHLAB_CACHE_DIR", str(tmp_path))
    # Pruning also sweeps the unpacked trees' folder: keep it inside tmp_path, never the machine's real one.
    monkeypatch.setattr(rootfs, "unpacked_dir", lambda: tmp_path / "trees" / f"rootfs-{rootfs.recipe_hash()}")
    return tmp_path


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    made: list[Path] = []

    def stand_in(target: Path, progress) -> None:
        made.append(target)
        target.write_bytes(b"tarball of " + target.name.encode())

    monkeypatch.setattr(rootfs, "_build", stand_in)
    monkeypatch.setattr(rootfs, "build_problem", lambda: None)
    return made


def test_the_hash_follows_what_decides_the_contents_and_nothing_else(monkeypatch: pytest.MonkeyPatch) -> None:
    base = rootfs.recipe_hash()
    assert base == rootfs.recipe_hash() and len(base) == 12
    monkeypatch.setenv("BENCHLAB_DEBIAN_MIRROR", "http://mirror.example/debian")
    monkeypatch.setattr(rootfs, "DEFAULT_MIRROR", "http://other.example/debian")
    assert rootfs.recipe_hash() == base  # the mirror: same suite, same packages, same tree
    monkeypatch.setattr(rootfs, "PACKAGES", tuple(reversed(rootfs.PACKAGES)))
    assert rootfs.recipe_hash() == base  # the order packages are listed in does not matter
    for name, value in (("PACKAGES", rootfs.PACKAGES + ("perl",)), ("POST_STEPS_VERSION", rootfs.POST_STEPS_VERSION + 1),
                        ("SUITE", "trixie"), ("VARIANT", "buildd"), ("APT_PACKAGES", rootfs.APT_PACKAGES + ("librust-serde-dev",)),
                        ("CRATES_MANIFEST", rootfs.CRATES_MANIFEST + 'serde = "1"\n')):
        with monkeypatch.context() as patch:
            patch.setattr(rootfs, name, value)
            assert rootfs.recipe_hash() != base, name


def test_the_tarball_is_built_once_per_recipe_and_older_ones_are_pruned(cache: Path, builds: list[Path], monkeypatch: pytest.MonkeyPatch) -> None:
    (cache / "trees").mkdir()
    old_tree = rootfs.unpacked_dir()
    old_tree.mkdir()
    first = rootfs.ensure_tarball(lambda line: None)
    assert builds == [first] and first.name == f"rootfs-{rootfs.recipe_hash()}.tar.zst"
    assert rootfs.ensure_tarball(lambda line: None) == first and builds == [first]  # same recipe: no rebuild
    monkeypatch.setattr(rootfs, "POST_STEPS_VERSION", rootfs.POST_STEPS_VERSION + 1)
    second = rootfs.ensure_tarball(lambda line: None)
    assert builds == [first, second] and second != first
    assert second.is_file() and not first.exists() and not old_tree.exists()  # the old recipe's tarball and tree went
    assert rootfs.ensure_tarball(lambda line: None, force=True) == second and builds == [first, second, second]


def test_docker_imports_nothing_when_the_image_of_this_recipe_is_there_and_drops_older_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    prepared_provider("docker")  # skips (or fails under CI) without an engine and the image
    import docker

    from benchlab.sandboxes import docker_image

    api = docker.from_env(timeout=60).api
    assert docker_image.image_tag() == f"benchlab-sandbox:{rootfs.recipe_hash()}"

    def no_build(progress, force=False):
        raise AssertionError("the image is present: nothing may be built or imported")

    monkeypatch.setattr(docker_image, "ensure_tarball", no_build)
    assert docker_image.ensure_image(lambda timeout: api, lambda line: None) == docker_image.image_tag()

    stale = "benchlab-sandbox:000000000000"
    layer = io.BytesIO()
    with tarfile.open(fileobj=layer, mode="w") as tar:
        info = tarfile.TarInfo("marker")
        tar.addfile(info, io.BytesIO(b""))
    api.import_image_from_data(layer.getvalue(), repository="benchlab-sandbox", tag="000000000000")
    try:
        lines: list[str] = []
        docker_image._remove_stale_images(api, lines.append)
        tags = {t for image in api.images(name="benchlab-sandbox") for t in image.get("RepoTags") or []}
        assert stale not in tags and docker_image.image_tag() in tags
        # The engine may hold images of other older recipes too (an earlier run's): all of them go.
        assert f"removed the stale image {stale}" in lines
        assert all(line.startswith("removed the stale image ") for line in lines)
        assert not any(docker_image.image_tag() in line for line in lines)
    finally:
        try:
            api.remove_image(stale, force=True)
        except docker.errors.ImageNotFound:
            pass
