"""The Docker image: the cached root filesystem tarball, ``docker import``-ed and tagged by recipe hash."""

from __future__ import annotations

import subprocess
import time
from typing import Any, Callable, Iterator

from benchlab.sandbox import WORKDIR, SandboxSetupError
from benchlab.cache import CacheLock
from benchlab.heartbeat import keep_alive
from benchlab.sandboxes.cache import sandbox_cache_dir
from benchlab.sandboxes.launch import SANDBOX_UID
from benchlab.sandboxes.rootfs import ensure_tarball, recipe_hash

IMAGE_REPOSITORY = "benchlab-sandbox"
IMPORT_TIMEOUT_S = 900


def image_tag() -> str:
    return f"{IMAGE_REPOSITORY}:{recipe_hash()}"


def image_present(api: Any) -> bool:
    import docker.errors

    try:
        api.inspect_image(image_tag())
    except docker.errors.ImageNotFound:
        return False
    return True


def ensure_image(api_factory: Callable[[float], Any], progress: Callable[[str], None]) -> str:
    """The image tag, importing the tarball (built first if needed) when the engine lacks it."""
    tag = image_tag()
    if image_present(api_factory(30)):
        return tag
    tarball = ensure_tarball(progress)
    with CacheLock(sandbox_cache_dir() / "docker-import.lock", on_wait=lambda _: progress("waiting for another import to finish")):
        if image_present(api_factory(30)):
            return tag
        progress(f"importing {tarball.name} into Docker as {tag}")
        started = time.monotonic()
        zstd = subprocess.Popen(["zstd", "-dc", str(tarball)], stdout=subprocess.PIPE)
        # After the last chunk the engine still commits the layer, silently, for a while.
        try:
            with keep_alive(progress, "docker import") as say:
                api_factory(IMPORT_TIMEOUT_S).import_image(
                    src=_chunks(zstd.stdout, say),
                    repository=IMAGE_REPOSITORY,
                    tag=recipe_hash(),
                    changes=[f"USER {SANDBOX_UID}:{SANDBOX_UID}", f"WORKDIR {WORKDIR}", f"LABEL benchlab.recipe={recipe_hash()}"],
                    stream_src=True,
                )
        except Exception as exc:
            zstd.kill()
            raise SandboxSetupError(f"docker import of {tarball} failed: {exc}") from exc
        finally:
            zstd.wait()
        if zstd.returncode != 0 or not image_present(api_factory(30)):
            raise SandboxSetupError(f"docker import of {tarball} did not produce {tag} (zstd exit {zstd.returncode})")
        progress(f"image {tag} ready ({time.monotonic() - started:.0f} s)")
        _remove_stale_images(api_factory(60), progress)
    return tag


def _chunks(stream: Any, progress: Callable[[str], None]) -> Iterator[bytes]:
    sent, last = 0, time.monotonic()
    while True:
        chunk = stream.read(1 << 20)
        if not chunk:
            return
        sent += len(chunk)
        if time.monotonic() - last > 5:
            progress(f"  ... {sent // 2**20} MiB sent to the engine")
            last = time.monotonic()
        yield chunk


def _remove_stale_images(api: Any, progress: Callable[[str], None]) -> None:
    """Drop images of older recipes; one still used by a container stays until next time."""
    import docker.errors

    for image in api.images(name=IMAGE_REPOSITORY):
        tags = image.get("RepoTags") or []
        if tags and all(not t.endswith(f":{recipe_hash()}") for t in tags):
            try:
                api.remove_image(image["Id"])
                progress(f"removed the stale image {', '.join(tags)}")
            except docker.errors.APIError:
                pass
