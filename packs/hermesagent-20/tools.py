"""Deterministic fake tools for the pack hermesagent-20 (driver ``tool_loop``).

Every tool is ``function(arguments, state) -> result``: the result is computed from
the arguments and ``state`` only (no clock, no randomness, no I/O), so a wrong argument
gives a visibly different continuation: the wrong url is another page or a 404, the
wrong key is "not found", a malformed cron schedule is an error that says why. A bad
argument raises KeyError, TypeError or ValueError, which the driver shows the model as
``{"error": ...}``. ``state`` keys: ``files``, ``sizes``, ``memory``, ``cron``
(``{"jobs": [...]}``), ``executables`` (when set, the only programs a cron job may run),
``artifacts`` and ``now`` (the fixed clock cron's next run uses).
"""

from __future__ import annotations

import ast
import datetime as dt
import hashlib
import json
import math
import operator
import re
import statistics
from typing import Any, Callable

# --- the web: a small fixed corpus -------------------------------------------------------

PAGES: dict[str, dict[str, str]] = {
    "https://lakesidefair.example/news/2024-recap-7f3a": {
        "title": "Lakeside Robotics Fair 2024: the recap",
        "keywords": "lakeside robotics fair 2024 recap attendance exhibitors visitors",
        "text": "The Lakeside Robotics Fair ran from 14 to 16 June 2024 at the North Pier halls. "
                "Peak attendance came on Saturday 15 June with 18,430 visitors; 212 exhibitors "
                "showed robots, drones and kits. The student build-off was won by Team Gannet.",
        "fact": "The 2024 Lakeside Robotics Fair peaked at 18,430 visitors (Saturday 15 June).",
    },
    "https://lakesidefair.example/news/2023-recap-c81d": {
        "title": "Lakeside Robotics Fair 2023: the recap",
        "keywords": "lakeside robotics fair 2023 recap attendance exhibitors visitors",
        "text": "The 2023 Lakeside Robotics Fair (9 to 11 June 2023) drew a peak of 16,905 "
                "visitors on its Saturday, with 188 exhibitors in the North Pier halls.",
        "fact": "The 2023 Lakeside Robotics Fair peaked at 16,905 visitors.",
    },
    "https://lakesidefair.example/news/2025-dates-0b92": {
        "title": "Lakeside Robotics Fair announces its 2025 dates",
        "keywords": "lakeside robotics fair 2025 dates tickets",
        "text": "The 2025 Lakeside Robotics Fair will run from 13 to 15 June 2025. Tickets open in March.",
        "fact": "The 2025 Lakeside Robotics Fair runs 13 to 15 June 2025.",
    },
    "https://heritage.example/landmarks/harbor-light-tower": {
        "title": "Harbor Light tower",
        "keywords": "harbor harbour light tower lighthouse height metres opened landmark",
        "text": "Built on the east breakwater, the Harbor Light tower stands 47 metres tall. It was "
                "first lit in 1887 and automated in 1961; its lamp is visible for 22 nautical miles.",
        "fact": "The Harbor Light tower is 47 metres tall (first lit in 1887).",
    },
    "https://heritage.example/landmarks/old-mill-chimney": {
        "title": "Old Mill chimney",
        "keywords": "old mill chimney height metres built landmark brick",
        "text": "Raised for the Ashford spinning mill in 1902, the Old Mill chimney is a brick stack "
                "38.5 metres tall. It has been a listed building since 1974.",
        "fact": "The Old Mill chimney is 38.5 metres tall (built in 1902).",
    },
    "https://quill.example/releases": {
        "title": "Quill CLI releases",
        "keywords": "quill cli releases release version latest stable changelog",
        "text": "Release notes for the Quill command-line tool. Latest stable release: Quill 3.8.1 "
                "(11 February 2025), fixing the config migration crash. Previous: 3.8.0 (28 January 2025), "
                "3.7.4 (2 December 2024).",
        "fact": "The latest stable Quill CLI release is 3.8.1 (11 February 2025).",
    },
    "https://quill.example/blog/quill-4-beta": {
        "title": "Quill 4.0 beta is here",
        "keywords": "quill cli 4.0 beta blog preview version",
        "text": "Try the Quill 4.0.0-beta.2 preview: a new plugin system. Betas are not for production; "
                "the stable line stays on 3.8.",
        "fact": "Quill 4.0.0-beta.2 is a preview, not a stable release.",
    },
}
# Old addresses that answer with a redirect instead of a page.
MOVED = {"https://heritage.example/towers/harbor-light": "https://heritage.example/landmarks/harbor-light-tower"}
# The search index lists the old address of the tower, as real indexes lag behind.
INDEXED_URL = {"https://heritage.example/landmarks/harbor-light-tower": "https://heritage.example/towers/harbor-light"}
_STOPWORDS = {"the", "a", "an", "of", "in", "on", "at", "for", "to", "and", "is", "what", "how", "was", "which", "tall"}


def _words(text: str) -> list[str]:
    return [w for w in re.findall(r"[a-z0-9]+(?:\.[0-9]+)*", text.lower()) if w not in _STOPWORDS]


def _rank(text: str) -> list[str]:
    """Page urls by how many of the words of ``text`` their keywords hold (ties: corpus order)."""
    words = set(_words(text))
    scored = [(len(words & set(page["keywords"].split())), n, url) for n, (url, page) in enumerate(PAGES.items())]
    return [url for score, _, url in sorted(scored, key=lambda s: (-s[0], s[1])) if score > 0]


def _text(arguments: dict[str, Any], key: str, required: bool = True) -> str:
    value = arguments.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise ValueError(f"{key!r} must be a non-empty string")
    return value.strip()


def web_search(arguments: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
    query = _text(arguments, "query")
    results = []
    for rank, url in enumerate(_rank(query)[:3], start=1):
        page = PAGES[url]
        results.append({"rank": rank, "title": page["title"], "url": INDEXED_URL.get(url, url), "snippet": page["text"][:40] + "..."})
    return {"query": query, "results": results}


def fetch_page(arguments: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
    url = _text(arguments, "url")
    if url in MOVED:
        return {"url": url, "status": 301, "moved_to": MOVED[url], "text": ""}
    page = PAGES.get(url)
    if page is None:
        return {"url": url, "status": 404, "text": "Not Found"}
    return {"url": url, "status": 200, "title": page["title"], "text": page["text"]}


# --- orders ------------------------------------------------------------------------------

ORDERS = {
    "ORD-58213": {"customer": "dana.whitfield@example.com", "date": "2025-02-27", "total": 84.50, "status": "shipped",
                  "carrier": "Parcelwise", "tracking": "PW-4471-8830"},
    "ORD-57102": {"customer": "dana.whitfield@example.com", "date": "2025-01-14", "total": 19.99, "status": "delivered",
                  "carrier": "Parcelwise", "tracking": "PW-3098-1142"},
    "ORD-55990": {"customer": "dana.whitfield@example.com", "date": "2024-12-02", "total": 142.00, "status": "delivered",
                  "carrier": "NorthPost", "tracking": "NP-77-20931"},
    "ORD-58377": {"customer": "lee.okafor@example.com", "date": "2025-03-01", "total": 12.00, "status": "processing",
                  "carrier": None, "tracking": None},
}


def search_orders(arguments: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
    customer = _text(arguments, "customer").lower()
    found = [{"order_id": oid, "date": o["date"], "total": o["total"]} for oid, o in ORDERS.items() if o["customer"] == customer]
    return {"customer": customer, "orders": found}


def get_order(arguments: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
    order_id = _text(arguments, "order_id")
    if not re.fullmatch(r"ORD-\d{5}", order_id):
        raise ValueError(f"order ids look like ORD-12345, got {order_id!r}")
    if order_id not in ORDERS:
        return {"order_id": order_id, "found": False}
    order = ORDERS[order_id]
    return {"order_id": order_id, "found": True, **{k: v for k, v in order.items() if k != "customer"}}


# --- memory ------------------------------------------------------------------------------

def _memory(state: dict[str, Any]) -> dict[str, Any]:
    return state.setdefault("memory", {})


def memory_store(arguments: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
    key = _text(arguments, "key")
    if "value" not in arguments or arguments["value"] in (None, ""):
        raise ValueError("'value' is required")
    memory = _memory(state)
    replaced = key in memory
    memory[key] = arguments["value"]
    return {"stored": key, "replaced": replaced}


def memory_recall(arguments: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
    key = _text(arguments, "key")
    memory = _memory(state)
    if key not in memory:
        return {"key": key, "found": False, "value": None}
    return {"key": key, "found": True, "value": memory[key]}


def memory_search(arguments: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
    """Keys (never values) whose letters hold a word of the query; an empty query lists them all."""
    query = _text(arguments, "query", required=False)
    squashed = re.sub(r"[^a-z0-9]", "", query.lower())
    needles = {w for w in re.findall(r"[a-z0-9]+", query.lower()) if len(w) >= 3}
    if len(squashed) >= 3:
        needles.add(squashed)
    keys = [k for k in _memory(state) if not needles or any(n in re.sub(r"[^a-z0-9]", "", k.lower()) for n in needles)]
    return {"query": query, "keys": sorted(keys)}


# --- cron ----------------------------------------------------------------------------------

_FIELDS = (("minute", 0, 59), ("hour", 0, 23), ("day_of_month", 1, 31), ("month", 1, 12), ("day_of_week", 0, 7))
_NAMES = {
    "month": {m: n for n, m in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split(), start=1)},
    "day_of_week": {d: n for n, d in enumerate("sun mon tue wed thu fri sat".split())},
}
_MACROS = {"@hourly": "0 * * * *", "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@weekly": "0 0 * * 0",
           "@monthly": "0 0 1 * *", "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *"}


def _cron_value(text: str, field: str, low: int, high: int) -> int:
    name = _NAMES.get(field, {}).get(text.lower())
    if name is not None:
        return name
    if not re.fullmatch(r"[0-9]{1,4}", text):
        raise ValueError(f"{field}: {text!r} is not a number" + (" or a name" if field in _NAMES else ""))
    value = int(text)
    if not low <= value <= high:
        raise ValueError(f"{field}: {value} is out of range {low}-{high}")
    return value


def _cron_field(text: str, field: str, low: int, high: int) -> list[int]:
    values: set[int] = set()
    for part in text.split(","):
        if not part:
            raise ValueError(f"{field}: empty list item in {text!r}")
        body, _, step_text = part.partition("/")
        step = 1
        if step_text:
            if not re.fullmatch(r"[0-9]{1,4}", step_text) or int(step_text) == 0:
                raise ValueError(f"{field}: step {step_text!r} must be a whole number >= 1")
            step = int(step_text)
        if body == "*":
            start, end = low, high
        elif "-" in body:
            first, _, last = body.partition("-")
            start, end = _cron_value(first, field, low, high), _cron_value(last, field, low, high)
            if start > end:
                raise ValueError(f"{field}: range {body!r} runs backwards")
        else:
            if step_text:
                raise ValueError(f"{field}: a step needs a range or '*' (write {body}-{high}/{step})")
            start = end = _cron_value(body, field, low, high)
        values.update(range(start, end + 1, step))
    if field == "day_of_week" and 7 in values:  # 7 is Sunday too
        values = (values - {7}) | {0}
    return sorted(values)


def parse_schedule(schedule: str) -> dict[str, Any]:
    """The five fields of a cron schedule, each expanded to its sorted values; ValueError says what is wrong."""
    text = _MACROS.get(schedule.strip().lower(), schedule.strip())
    parts = text.split()
    if len(parts) != 5:
        raise ValueError(f"invalid schedule {schedule!r}: expected 5 fields (minute hour day-of-month month "
                         f"day-of-week), got {len(parts)}")
    expanded: dict[str, Any] = {}
    for part, (field, low, high) in zip(parts, _FIELDS):
        try:
            expanded[field] = _cron_field(part, field, low, high)
        except ValueError as exc:
            raise ValueError(f"invalid schedule {schedule!r}: {exc}") from None
    # cron's rule: when both day fields are restricted, a day matching either one runs
    expanded["day_rule"] = "either" if parts[2][0] != "*" and parts[4][0] != "*" else "both"
    return expanded


def _runs_on(day: dt.date, e: dict[str, Any]) -> bool:
    if day.month not in e["month"]:
        return False
    dom, dow = day.day in e["day_of_month"], (day.isoweekday() % 7) in e["day_of_week"]
    return (dom or dow) if e["day_rule"] == "either" else (dom and dow)


def next_run(expanded: dict[str, Any], now: dt.datetime) -> str | None:
    """The first minute strictly after ``now`` the schedule fires, within four years."""
    start = now.replace(second=0, microsecond=0) + dt.timedelta(minutes=1)
    for offset in range(4 * 366 + 1):
        day = start.date() + dt.timedelta(days=offset)
        if not _runs_on(day, expanded):
            continue
        for hour in expanded["hour"]:
            for minute in expanded["minute"]:
                moment = dt.datetime.combine(day, dt.time(hour, minute))
                if moment >= start:
                    return moment.isoformat(timespec="minutes")
    return None


def _jobs(state: dict[str, Any]) -> list[dict[str, Any]]:
    return state.setdefault("cron", {}).setdefault("jobs", [])


_INTERPRETERS = {"env", "python", "python3", "bash", "sh"}


def _check_command(command: str, state: dict[str, Any]) -> None:
    """cron runs with a bare PATH: the program (after an interpreter) needs an absolute path that exists."""
    tokens = command.split()
    program = next((t for t in tokens if t.rsplit("/", 1)[-1] not in _INTERPRETERS), tokens[-1])
    known = state.get("executables")
    hint = f"; the scripts on this host are: {', '.join(known)}" if known else ""
    if not program.startswith("/"):
        raise ValueError(f"{program!r} is not an absolute path: cron would not find it{hint}")
    if known is not None and program not in known:
        raise ValueError(f"{program} does not exist{hint}")


def cron_add(arguments: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
    name, schedule, command = _text(arguments, "name"), _text(arguments, "schedule"), _text(arguments, "command")
    expanded = parse_schedule(schedule)
    _check_command(command, state)
    jobs = _jobs(state)
    clash = next((j for j in jobs if j["name"] == name), None)
    if clash is not None:
        raise ValueError(f"a job named {name!r} already exists (id {clash['id']}); remove it first or pick another name")
    job_id = "job-" + hashlib.sha256(f"{name}\n{schedule}\n{command}".encode()).hexdigest()[:6]
    now = dt.datetime.fromisoformat(state.get("now", "2025-03-03T08:00"))
    jobs.append({"id": job_id, "name": name, "schedule": schedule, "command": command, "expanded": expanded})
    return {"id": job_id, "name": name, "schedule": schedule, "next_run": next_run(expanded, now)}


def cron_list(arguments: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
    return {"jobs": [{k: j[k] for k in ("id", "name", "schedule", "command")} for j in _jobs(state)]}


def cron_remove(arguments: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
    job_id = _text(arguments, "id")
    jobs = _jobs(state)
    for index, job in enumerate(jobs):
        if job["id"] == job_id:
            del jobs[index]
            return {"removed": job_id, "name": job["name"]}
    raise ValueError(f"no job with id {job_id!r} (cron_list shows the ids)")


# --- files and artifacts -------------------------------------------------------------------

def _path(arguments: dict[str, Any], key: str = "path", required: bool = True) -> str:
    text = _text(arguments, key, required)
    while text.startswith("./"):
        text = text[2:]
    return re.sub(r"/+", "/", text).strip("/")


def _files(state: dict[str, Any]) -> dict[str, str]:
    return state.setdefault("files", {})


def _size(state: dict[str, Any], path: str) -> int:
    return int(state.get("sizes", {}).get(path, len(_files(state)[path].encode())))


def list_files(arguments: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
    folder = _path(arguments, required=False)
    prefix = f"{folder}/" if folder else ""
    found = [{"path": p, "bytes": _size(state, p)} for p in sorted(_files(state)) if p.startswith(prefix)]
    return {"folder": folder or ".", "files": found}


def read_file(arguments: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
    path = _path(arguments)
    files = _files(state)
    if path not in files:
        folder = path.rpartition("/")[0]
        siblings = [p for p in sorted(files) if p.rpartition("/")[0] == folder]
        raise ValueError(f"no such file: {path}; files in {folder or '.'}: {', '.join(siblings) or 'none'}")
    return {"path": path, "content": files[path]}


def write_file(arguments: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
    path = _path(arguments)
    content = arguments.get("content")
    if not isinstance(content, str):
        raise ValueError("'content' must be a string")
    files = _files(state)
    existed = path in files
    files[path] = content
    return {"path": path, "bytes": len(content.encode()), "overwrote": existed}


def delete_file(arguments: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
    path = _path(arguments)
    if path not in _files(state):
        raise ValueError(f"no such file: {path}")
    del _files(state)[path]
    state.get("sizes", {}).pop(path, None)
    return {"deleted": path}


MIME_TYPES = ("text/markdown", "application/json", "text/csv", "text/plain")


def create_artifact(arguments: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
    title, mime = _text(arguments, "title"), _text(arguments, "mime_type")
    content = arguments.get("content")
    if mime not in MIME_TYPES:
        raise ValueError(f"mime_type must be one of {', '.join(MIME_TYPES)}")
    if not isinstance(content, str):
        raise ValueError("'content' must be a string (serialise JSON to text)")
    artifact: dict[str, Any] = {"mime_type": mime, "content": content}
    if mime == "application/json":
        try:
            artifact["parsed"] = json.loads(content)
        except (json.JSONDecodeError, RecursionError) as exc:
            raise ValueError(f"content is not valid JSON: {exc}") from None
    state.setdefault("artifacts", {})[title] = artifact
    artifact_id = "art-" + hashlib.sha256(f"{title}\n{content}".encode()).hexdigest()[:8]
    return {"artifact_id": artifact_id, "title": title, "bytes": len(content.encode())}


# --- delegation and calculation ----------------------------------------------------------

_STATS: dict[str, tuple[tuple[str, ...], Callable[[list[float]], float]]] = {
    "count": (("count", "how many"), lambda xs: float(len(xs))),
    "sum": (("sum", "total"), math.fsum),
    "mean": (("mean", "average"), statistics.fmean),
    "median": (("median",), statistics.median),
    "min": (("min", "smallest", "lowest", "fastest"), min),
    "max": (("max", "largest", "highest", "slowest"), max),
}


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else round(value, 4)


def delegate_task(arguments: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
    """Sub-agents: ``analyst`` computes statistics of the numbers after the task's last colon
    (of all its numbers when it has none), ``researcher`` looks a topic up in the corpus."""
    agent, task = _text(arguments, "agent").lower(), _text(arguments, "task")
    if agent == "analyst":
        data = task.rpartition(":")[2] if ":" in task else task
        numbers = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", data.replace(",", " "))]
        if not numbers:
            return {"agent": agent, "error": "the task holds no numbers to analyse; include the data"}
        lowered = task.lower()
        wanted = [name for name, (words, _) in _STATS.items() if any(w in lowered for w in words)] or list(_STATS)
        return {"agent": agent, "numbers": [_number(n) for n in numbers],
                "results": {name: _number(_STATS[name][1](numbers)) for name in wanted}}
    if agent == "researcher":
        ranked = _rank(task)
        if not ranked:
            return {"agent": agent, "finding": "nothing found on that topic"}
        return {"agent": agent, "finding": PAGES[ranked[0]]["fact"], "source": ranked[0]}
    raise ValueError(f"unknown agent {agent!r}; available: analyst, researcher")


_OPERATORS: dict[type, Callable[..., Any]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod, ast.Pow: operator.pow, ast.USub: operator.neg, ast.UAdd: operator.pos,
}


def _evaluate(node: ast.AST) -> float:
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        return node.value
    if isinstance(node, ast.UnaryOp) and type(node.op) in _OPERATORS:
        return _OPERATORS[type(node.op)](_evaluate(node.operand))
    if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
        left, right = _evaluate(node.left), _evaluate(node.right)
        if isinstance(node.op, ast.Pow) and (abs(right) > 64 or abs(left) > 1e6):
            raise ValueError("exponent too large")
        return _OPERATORS[type(node.op)](left, right)
    raise ValueError("only numbers, + - * / // % ** and parentheses are allowed")


def calculate(arguments: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
    expression = _text(arguments, "expression")
    if len(expression) > 200:
        raise ValueError("expression longer than 200 characters")
    try:
        tree = ast.parse(expression.replace("×", "*").replace("^", "**"), mode="eval")
        value = _evaluate(tree.body)
        if isinstance(value, complex) or not math.isfinite(value):
            raise ValueError("the result is not a finite real number")
        return {"expression": expression, "result": _number(value)}
    except (SyntaxError, MemoryError):
        raise ValueError(f"cannot parse {expression!r}") from None
    except ZeroDivisionError:
        raise ValueError("division by zero") from None
    except (OverflowError, RecursionError):
        raise ValueError("the result is too large") from None


TOOLS: dict[str, Callable[[dict[str, Any], dict[str, Any]], Any]] = {
    "web_search": web_search,
    "fetch_page": fetch_page,
    "search_orders": search_orders,
    "get_order": get_order,
    "memory_store": memory_store,
    "memory_recall": memory_recall,
    "memory_search": memory_search,
    "cron_add": cron_add,
    "cron_list": cron_list,
    "cron_remove": cron_remove,
    "list_files": list_files,
    "read_file": read_file,
    "write_file": write_file,
    "delete_file": delete_file,
    "create_artifact": create_artifact,
    "delegate_task": delegate_task,
    "calculate": calculate,
}
