"""The ``shell_task`` checks on the work dir after the command: files, unchanged paths, allowed changes.

``files`` maps a path to what must hold there afterwards (a glob key takes only
``exists`` and ``count``)::

    exists       true (default) / false      the path exists (a link counts, broken or not)
    type         "file" | "dir" | "symlink"  what it is (a link is not followed)
    mode         "644", "0755"               its permission bits, exactly
    executable   true / false                the owner's execute bit
    symlink_to   "logs/app.log"              a link whose target text is exactly this
    resolves_to  "releases/1.10.0"           a link (or chain) leading to this path in the work dir
    size         12345                       bytes, of the file it is or leads to
    entries      ["a", "b"]                  a directory holding exactly these names
    tar_members  ["site/index.html"]         a tar archive (compressed or not) whose regular files
                                             are exactly these (a leading "./" ignored)
    gunzip       {text matchers}             gzip data whose decompressed text matches
    count        3                           (glob keys) how many paths match
    + any text matcher (``shell_matchers``) on the file's content, a link followed
      while it stays inside the work dir.
"""

from __future__ import annotations

import base64
import io
import posixpath
import tarfile
import zlib
from typing import Any, Literal

import attrs

from benchlab.model import Check
from benchlab.plugins.verifiers.shell.shell_matchers import TEXT_KEYS, TextMatcher, match_text
from benchlab.plugins.verifiers.shell.shell_workspace import check_path, glob_match, is_glob, octal_mode
from benchlab.verifier_params import ParamError
from benchlab.param_checks import non_negative

GLOB_KEYS = ("exists", "count")
CONTENT_KEYS = frozenset(TEXT_KEYS) | {"tar_members", "gunzip"}
UNPACK_CAP = 16 * 1024 * 1024  # decompressed bytes looked at, whatever the archive claims
LIST_SHOWN = 5


def _inside(_: Any, attribute: attrs.Attribute, value: str | None) -> None:
    if value is not None:
        check_path(attribute.name, value)


def _names(_: Any, attribute: attrs.Attribute, value: list[str] | None) -> None:
    if value is not None and not all(value):
        raise ParamError(attribute.name, "a list of non-empty strings")


def _some_matcher(_: Any, attribute: attrs.Attribute, value: TextMatcher | None) -> None:
    if value is not None and not value.text_matchers():
        raise ParamError(attribute.name, "at least one text matcher")


@attrs.frozen(kw_only=True)
class FileExpect(TextMatcher):
    """What must hold at one ``files`` path (the table above); None where not given."""

    exists: bool | None = None
    type: Literal["file", "dir", "symlink"] | None = None
    mode: str | None = attrs.field(default=None, validator=octal_mode)
    executable: bool | None = None
    symlink_to: str | None = None
    resolves_to: str | None = attrs.field(default=None, validator=_inside)
    size: int | None = attrs.field(default=None, validator=non_negative)
    entries: list[str] | None = attrs.field(default=None, validator=_names)
    tar_members: list[str] | None = attrs.field(default=None, validator=_names)
    gunzip: TextMatcher | None = attrs.field(default=None, validator=_some_matcher)
    count: int | None = attrs.field(default=None, validator=non_negative)

    def expectations(self) -> dict[str, Any]:
        """Every expectation given, by key (text matchers last, in their table's order)."""
        own = {f.name: getattr(self, f.name) for f in attrs.fields(FileExpect)
               if f.name not in TEXT_KEYS and getattr(self, f.name) is not None}
        return {**own, **self.text_matchers()}

    def __attrs_post_init__(self) -> None:
        if self.exists is False and len(self.expectations()) > 1:
            raise ParamError("", "exists: false takes no other expectation")


def check_files(files: dict[str, FileExpect]) -> None:
    """ParamError unless every key is a path inside the work dir and a glob key takes only
    exists and count (an exact path anything but count)."""
    if not files:
        raise ParamError("files", "an object mapping paths (or globs) to expectations")
    for key, spec in files.items():
        field = f"files.{key}"
        path = check_path(field, key, glob=True)
        given = spec.expectations()
        if is_glob(path):
            if not given or set(given) - set(GLOB_KEYS):
                raise ParamError(field, "a glob takes only exists (true/false) and count")
        elif "count" in given:
            raise ParamError(f"{field}.count", "only for glob keys")


def capture_paths(files: dict[str, FileExpect]) -> list[str]:
    """The exact paths whose content the checks read."""
    return sorted(key.rstrip("/") for key, spec in files.items() if not is_glob(key) and CONTENT_KEYS & set(spec.expectations()))


# --- judging -------------------------------------------------------------------------------------------


def file_checks(files: dict[str, FileExpect], after: dict[str, Any], captured: dict[str, Any]) -> list[Check]:
    checks = []
    for key, expect in files.items():
        path = key.rstrip("/")
        spec = expect.expectations()
        problem = _glob_problem(path, spec, after) if is_glob(path) else _file_problem(path, spec, after, captured)
        checks.append(Check(f"file:{path}", problem is None, problem or _describe(path, after)))
    return checks


def _describe(path: str, after: dict[str, Any]) -> str:
    entry = after.get(path)
    if entry is None:
        return "absent, as expected" if not is_glob(path) else "as expected"
    return f"a {entry['type']}, as expected"


def _glob_problem(pattern: str, spec: dict[str, Any], after: dict[str, Any]) -> str | None:
    found = sorted(p for p in after if glob_match(pattern, p))
    if "exists" in spec and bool(found) != spec["exists"]:
        return f"{len(found)} paths match, e.g. {', '.join(found[:LIST_SHOWN])}" if found else "nothing matches"
    if "count" in spec and len(found) != spec["count"]:
        shown = f": {', '.join(found[:LIST_SHOWN])}" + (", ..." if len(found) > LIST_SHOWN else "") if found else ""
        return f"{len(found)} paths match, expected {spec['count']}{shown}"
    return None


def _file_problem(path: str, spec: dict[str, Any], after: dict[str, Any], captured: dict[str, Any]) -> str | None:
    entry = after.get(path)
    if not spec.get("exists", True):
        return None if entry is None else f"should not exist, but it is a {entry['type']}"
    if entry is None:
        return "does not exist"
    if "type" in spec and entry["type"] != spec["type"]:
        return f"is a {entry['type']}, expected a {spec['type']}"
    if "mode" in spec and entry["mode"] != int(spec["mode"], 8):
        return f"mode is {entry['mode']:o}, expected {int(spec['mode'], 8):o}"
    if "executable" in spec and bool(entry["mode"] & 0o100) != spec["executable"]:
        return f"mode is {entry['mode']:o}: " + ("not executable by its owner" if spec["executable"] else "executable by its owner")
    if "symlink_to" in spec:
        if entry["type"] != "symlink":
            return f"is a {entry['type']}, not a symbolic link"
        if entry.get("target") != spec["symlink_to"]:
            return f"links to {entry.get('target')!r}, expected {spec['symlink_to']!r}"
    resolved = resolve(path, after)
    if "resolves_to" in spec:
        want = posixpath.normpath(spec["resolves_to"])
        if entry["type"] != "symlink":
            return f"is a {entry['type']}, not a symbolic link"
        if resolved != want:
            where = "nowhere inside the work dir" if resolved is None else repr(resolved)
            return f"leads to {where} (target {entry.get('target')!r}), expected {want!r}"
    target = after.get(resolved) if resolved is not None else None
    if "size" in spec:
        if target is None or target["type"] != "file":
            return "is not (and does not lead to) a regular file"
        if target["size"] != spec["size"]:
            return f"is {target['size']} bytes, expected {spec['size']}"
    if "entries" in spec:
        if target is None or target["type"] != "dir":
            return "is not a directory"
        names = sorted(p[len(resolved) + 1:] for p in after if posixpath.dirname(p) == resolved)
        if names != sorted(spec["entries"]):
            return f"holds {names[:20]}, expected {sorted(spec['entries'])}"
    if not CONTENT_KEYS & set(spec):
        return None
    got = captured.get(path) or {"missing": "not read"}
    if "data" not in got:
        return f"its content cannot be checked: {got.get('missing')}"
    data = base64.b64decode(got["data"])
    if "tar_members" in spec:
        problem = _tar_problem(data, spec["tar_members"])
        if problem:
            return problem
    if "gunzip" in spec:
        unpacked, problem = gunzip(data)
        if problem:
            return f"gunzip: {problem}"
        problem = match_text(spec["gunzip"].text_matchers(), unpacked)
        if problem:
            return f"gunzip: {problem}"
    return match_text({k: v for k, v in spec.items() if k in TEXT_KEYS}, data)


def resolve(path: str, snapshot: dict[str, Any], hops: int = 0) -> str | None:
    """Where ``path`` leads in the work dir, following links; None when it leaves it or dangles."""
    if hops > 40:
        return None
    parts = path.split("/")
    for index in range(len(parts)):
        here = "/".join(parts[: index + 1])
        entry = snapshot.get(here)
        if entry is None:
            return None
        if entry["type"] != "symlink":
            continue
        target = entry.get("target", "")
        if target == "/box" or target.startswith("/box/"):
            base = target[len("/box"):].lstrip("/")
        elif target.startswith("/"):
            return None
        else:
            base = posixpath.join(posixpath.dirname(here), target)
        rest = "/".join(parts[index + 1:])
        joined = posixpath.normpath(posixpath.join(base, rest))
        if joined == "." or joined == ".." or joined.startswith("../"):
            return None  # the work dir itself, or outside it
        return resolve(joined, snapshot, hops + 1)
    return path


def gunzip(data: bytes) -> tuple[bytes, str | None]:
    """(up to UNPACK_CAP decompressed bytes, None) or (b"", why it is not gzip data)."""
    if data[:2] != b"\x1f\x8b":
        return b"", "not gzip data"
    try:
        inflater = zlib.decompressobj(wbits=31)
        out = inflater.decompress(data, UNPACK_CAP)
    except zlib.error as exc:
        return b"", f"corrupt gzip data ({exc})"
    return out, None


def _tar_problem(data: bytes, expected: list[str]) -> str | None:
    raw = data
    if data[:2] == b"\x1f\x8b":
        raw, problem = gunzip(data)
        if problem:
            return f"tar_members: {problem}"
    try:
        with tarfile.open(fileobj=io.BytesIO(raw), mode="r:") as archive:
            names = sorted({_member(m.name) for m in archive.getmembers() if m.isfile()})
    except Exception as exc:  # whatever tarfile makes of hostile bytes, it is not the archive asked for
        return f"tar_members: not a readable tar archive ({type(exc).__name__})"
    want = sorted({_member(n) for n in expected})
    if names == want:
        return None
    extra, missing = sorted(set(names) - set(want)), sorted(set(want) - set(names))
    parts = ([f"unexpected {extra[:LIST_SHOWN]}"] if extra else []) + ([f"missing {missing[:LIST_SHOWN]}"] if missing else [])
    return "tar_members: " + ", ".join(parts)


def _member(name: str) -> str:
    while name.startswith("./"):
        name = name[2:]
    return name.rstrip("/")


def _differs(before: dict[str, Any], after: dict[str, Any] | None) -> str | None:
    if after is None:
        return "removed"
    if after["type"] != before["type"]:
        return f"now a {after['type']}"
    if after["mode"] != before["mode"] and before["type"] != "symlink":
        return f"mode {before['mode']:o} -> {after['mode']:o}"
    if before["type"] == "file" and after.get("sha256") != before.get("sha256"):
        return "content changed"
    if before["type"] == "symlink" and after.get("target") != before.get("target"):
        return f"link target {before.get('target')!r} -> {after.get('target')!r}"
    return None


def unchanged_check(patterns: list[str], before: dict[str, Any], after: dict[str, Any]) -> Check:
    watched = [p for p in sorted(before) if any(glob_match(g, p) for g in patterns)]
    changed = [(p, why) for p in watched if (why := _differs(before[p], after.get(p)))]
    if not watched:
        return Check("unchanged", False, f"{', '.join(patterns)} matched nothing in the workspace (a pack defect)")
    if changed:
        shown = "; ".join(f"{p}: {why}" for p, why in changed[:LIST_SHOWN])
        more = f" (and {len(changed) - LIST_SHOWN} more)" if len(changed) > LIST_SHOWN else ""
        return Check("unchanged", False, f"{len(changed)} of {len(watched)} protected paths changed: {shown}{more}")
    return Check("unchanged", True, f"{len(watched)} paths as they were")


def changes(before: dict[str, Any], after: dict[str, Any]) -> list[tuple[str, str]]:
    """Every path added, removed or modified, with what happened to it."""
    found = []
    for path in sorted(set(before) | set(after)):
        if path not in before:
            found.append((path, "added"))
        elif (why := _differs(before[path], after.get(path))) is not None:
            found.append((path, why))
    return found


def allowed_changes_check(patterns: list[str], before: dict[str, Any], after: dict[str, Any]) -> Check:
    outside = [(p, why) for p, why in changes(before, after) if not any(glob_match(g, p) for g in patterns)]
    if outside:
        shown = "; ".join(f"{p}: {why}" for p, why in outside[:LIST_SHOWN])
        more = f" (and {len(outside) - LIST_SHOWN} more)" if len(outside) > LIST_SHOWN else ""
        return Check("allowed_changes", False, f"changed outside {', '.join(patterns)}: {shown}{more}")
    return Check("allowed_changes", True, "every change is inside the allowed paths")
