"""The JSON files benchlab leaves outside run folders (the sandbox root filesystem's marker and
manifest) carry ``schema_version``, and their readers still take files cached before it existed.
Real files in a temporary tree; no debootstrap build (that takes minutes and needs a mirror)."""

from __future__ import annotations

import json

from benchlab.codec import SCHEMA_VERSION
from benchlab.sandboxes import rootfs


def test_the_rootfs_marker_is_versioned_and_names_the_recipe(tmp_path):
    root = tmp_path / "rootfs"
    (root / "etc").mkdir(parents=True)
    (root / "var/lib/dpkg").mkdir(parents=True)
    (root / "var/lib/dpkg/status").write_text(
        "Package: bash\nStatus: install ok installed\nVersion: 5.2\n\nPackage: gone\nStatus: deinstall ok config-files\nVersion: 1\n"
    )
    packages = rootfs._finish_tree(root)
    marker = json.loads((root / "etc/benchlab-sandbox").read_text())
    assert marker == {"schema_version": SCHEMA_VERSION, "recipe": rootfs.recipe_hash()}
    assert packages == {"bash": "5.2"}
    assert (root / "box").is_dir() and (root / "io").is_dir()


def test_the_manifest_reader_takes_versioned_and_older_manifests(tmp_path, monkeypatch):
    monkeypatch.setenv("BENCHLAB_CACHE_DIR", str(tmp_path))
    hash_before = rootfs.recipe_hash()
    path = rootfs.manifest_path()
    path.write_text(json.dumps({"schema_version": SCHEMA_VERSION, "hash": hash_before, "packages": {"bash": "5.2"}}))
    assert rootfs.read_manifest()["packages"] == {"bash": "5.2"}
    path.write_text(json.dumps({"hash": hash_before, "packages": {"bash": "5.1"}}))  # cached before schema_version
    assert rootfs.read_manifest()["packages"] == {"bash": "5.1"}
    # The recipe, not any file written from it, names the cached tarball.
    assert rootfs.recipe_hash() == hash_before and rootfs.tarball_path().name == f"rootfs-{hash_before}.tar.zst"
