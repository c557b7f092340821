"""The ``shell_task`` workspace: how a scenario declares it, and the globs that name parts of it.

``workspace`` maps a relative path to what is there before the command runs::

    "data/a.csv": "text of the file"                    # a file (mode 644)
    "bin/run.sh": {"content": "...", "mode": "755"}      # a file with its mode
    "blob.bin": {"base64": "AAEC"}                       # binary content
    "big.dat": {"content": "x", "size": 200000}          # content repeated to exactly size bytes
    "old.log": {"content": "...", "age_days": 40}        # modified 40 days before the run
    "empty/": {} or "empty": {"dir": true}               # a directory (mode 755 unless "mode")
    "latest": {"symlink": "logs/app.log"}                # a symbolic link and its target

``fixture`` names a folder inside the pack whose files are copied in first (a file
executable in the pack stays executable); ``workspace`` entries are laid over it.

Globs (``unchanged``, ``allowed_changes``, glob keys of ``files``) are matched against
whole relative paths: ``*`` and ``?`` and ``[...]`` within one path segment, ``**`` any
number of segments (none included), so ``out/**`` names ``out`` and all below it.
"""

from __future__ import annotations

import base64
import binascii
import fnmatch
from pathlib import Path, PurePosixPath
from typing import Any

import attrs

from benchlab.verifier_params import ParamError
from benchlab.param_checks import between

MAX_WORKSPACE_BYTES = 8 * 1024 * 1024
MAX_ENTRIES = 2000
GLOB_CHARS = frozenset("*?[")


def is_glob(path: str) -> bool:
    return any(c in GLOB_CHARS for c in path)


def check_path(field: str, path: str, *, glob: bool = False) -> str:
    """The path without a trailing slash; ParamError unless it is relative and stays inside."""
    if not isinstance(path, str) or not path.strip("/"):
        raise ParamError(field, "a non-empty relative path")
    clean = path.rstrip("/")
    pure = PurePosixPath(clean)
    if clean.startswith("/") or "\0" in clean or any(part in ("..", ".") for part in clean.split("/")) or "//" in clean:
        raise ParamError(field, f"{path!r}: must be relative, inside the work dir, without '.', '..' or '//'")
    if not glob and is_glob(clean):
        raise ParamError(field, f"{path!r}: no glob characters here")
    if glob:
        for part in pure.parts:
            if "**" in part and part != "**":
                raise ParamError(field, f"{path!r}: '**' must be a whole path segment")
    return clean


def glob_match(pattern: str, path: str) -> bool:
    return _match(pattern.split("/"), path.split("/"))


def _match(pattern: list[str], parts: list[str]) -> bool:
    if not pattern:
        return not parts
    if pattern[0] == "**":
        return any(_match(pattern[1:], parts[i:]) for i in range(len(parts) + 1))
    return bool(parts) and fnmatch.fnmatchcase(parts[0], pattern[0]) and _match(pattern[1:], parts[1:])


def octal_mode(_: Any, attribute: attrs.Attribute, value: str | None) -> None:
    """An attrs validator: a permission mode written in octal ("644", "0755")."""
    if value is not None and (not value or len(value) > 4 or any(c not in "01234567" for c in value)):
        raise ParamError(attribute.name, "an octal mode as a string, such as \"644\" or \"0755\"")


def _base64(_: Any, attribute: attrs.Attribute, value: str | None) -> None:
    if value is None:
        return
    try:
        base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise ParamError(attribute.name, "not valid base64") from None


@attrs.frozen(kw_only=True)
class WorkspaceEntry:
    """A workspace entry written as an object (a plain string is a file's text)."""

    content: str | None = None
    base64: str | None = attrs.field(default=None, validator=_base64)
    size: int | None = attrs.field(
        default=None, validator=between(0, MAX_WORKSPACE_BYTES, f"an integer number of bytes up to {MAX_WORKSPACE_BYTES}")
    )
    mode: str | None = attrs.field(default=None, validator=octal_mode)
    age_days: float | None = attrs.field(default=None, validator=between(0, 36500, "a number of days between 0 and 36500"))
    dir: bool | None = None
    symlink: str | None = None

    @property
    def kinds(self) -> list[str]:
        return [k for k in ("content", "base64", "dir", "symlink") if getattr(self, k) is not None]

    def __attrs_post_init__(self) -> None:
        kinds = self.kinds
        if len(kinds) > 1:
            raise ParamError("", f"only one of content, base64, dir, symlink (got {', '.join(kinds)})")
        if self.dir is not None and (self.dir is not True or self.size is not None):
            raise ParamError("", "a directory takes only dir: true, mode and age_days")
        if self.symlink is not None:
            if not self.symlink or "\0" in self.symlink:
                raise ParamError("symlink", "the link's target, a non-empty string")
            if self.mode is not None or self.size is not None:
                raise ParamError("", "a symlink takes no mode or size")
        if self.size and not (self.content or self.base64):
            raise ParamError("size", "needs content to repeat")


def parse_workspace(raw: dict[str, str | WorkspaceEntry], field: str = "workspace") -> list[dict[str, Any]]:
    """The runner's entries for a ``workspace`` object; ParamError for anything malformed."""
    if len(raw) > MAX_ENTRIES:
        raise ParamError(field, f"at most {MAX_ENTRIES} entries")
    entries: dict[str, dict[str, Any]] = {}
    total = 0
    for key, value in raw.items():
        where = f"{field}.{key}"
        path = check_path(where, key)
        if path in entries:
            raise ParamError(where, "declared twice")
        entry = _entry(where, path, value, dir_hint=key.endswith("/"))
        total += len(entry.get("data", "")) * 3 // 4
        entries[path] = entry
    if total > MAX_WORKSPACE_BYTES:
        raise ParamError(field, f"the files add up to more than {MAX_WORKSPACE_BYTES} bytes")
    for path, entry in entries.items():
        parent = PurePosixPath(path).parent
        while str(parent) != ".":
            above = entries.get(str(parent))
            if above is not None and above["type"] != "dir":
                raise ParamError(f"{field}.{path}", f"its parent {str(parent)!r} is declared as a {above['type']}")
            parent = parent.parent
    return list(entries.values())


def _entry(where: str, path: str, value: str | WorkspaceEntry, *, dir_hint: bool) -> dict[str, Any]:
    if isinstance(value, str):
        if dir_hint:
            raise ParamError(where, "a path ending in '/' is a directory: give it {} or {\"mode\": ...}")
        return {"path": path, "type": "file", "data": base64.b64encode(value.encode()).decode("ascii")}
    kinds = value.kinds
    kind = kinds[0] if kinds else ("dir" if dir_hint else "content")
    entry: dict[str, Any] = {"path": path}
    if value.mode is not None:
        entry["mode"] = value.mode
    if value.age_days is not None:
        entry["age_days"] = value.age_days
    if kind == "dir":
        if value.size is not None:
            raise ParamError(where, "a directory takes only dir: true, mode and age_days")
        entry["type"] = "dir"
        return entry
    if kind == "symlink":
        entry.update(type="symlink", target=value.symlink)
        return entry
    if dir_hint:
        raise ParamError(where, "a path ending in '/' is a directory")
    data = _file_data(value)
    entry.update(type="file", data=base64.b64encode(data).decode("ascii"))
    return entry


def _file_data(value: WorkspaceEntry) -> bytes:
    data = base64.b64decode(value.base64) if value.base64 is not None else (value.content or "").encode()
    if value.size is not None:
        data = (data * (value.size // len(data) + 1))[:value.size] if value.size else b""
    return data


def fixture_entries(pack_dir: Path, fixture: str) -> list[dict[str, Any]]:
    """The files of a pack's fixture folder as runner entries; ValueError when it is missing or escapes."""
    root = (pack_dir / fixture).resolve()
    if not root.is_dir() or pack_dir.resolve() not in root.parents:
        raise ValueError(f"fixture {fixture!r} is not a folder inside the pack")
    entries = []
    for file in sorted(root.rglob("*")):
        relative = file.relative_to(root).as_posix()
        if file.is_symlink():
            entries.append({"path": relative, "type": "symlink", "target": str(Path(file.readlink()).as_posix())})
        elif file.is_dir():
            entries.append({"path": relative, "type": "dir"})
        elif file.is_file():
            mode = "755" if file.stat().st_mode & 0o100 else "644"
            entries.append({"path": relative, "type": "file", "mode": mode, "data": base64.b64encode(file.read_bytes()).decode("ascii")})
    return entries


def merge(fixture: list[dict[str, Any]], declared: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Fixture entries overlaid by the declared ones (a declared path replaces the fixture's)."""
    by_path = {e["path"]: e for e in fixture}
    by_path.update({e["path"]: e for e in declared})
    return list(by_path.values())
