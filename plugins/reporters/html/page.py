"""Writing a self-contained page: a Jinja2 template (autoescaped), our one stylesheet and one
script inline, the data as JSON blocks, and a Content-Security-Policy that allows exactly those.

The policy is ``default-src 'none'``: the script and the stylesheet run because their SHA-256
hashes are listed, nothing else does (no ``'unsafe-inline'``, so no ``on...=`` handler and no
``style=`` attribute, ours or a model's, ever applies); images only from ``data:``; no
connection, no ``<base>``, no form target. Data blocks (``<script type="application/json">``)
are never executed, so the policy need not list them; ``embed.safe_json`` keeps them inert.

A page kind is a template plus the function that builds its context and data: ``run_page``,
``diff_page``, ``index_page`` (a comparison or a ladder page is one more of each).
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
import tempfile
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping

import attrs

from benchlab.plugins.reporters.html.embed import safe_json, safe_json_array


@attrs.frozen
class Stream:
    """A JSON array written item by item (a run's transcripts, its table's rows): a data block
    itself, or a value of a block's top-level object."""

    items: Iterable[Any]


@attrs.frozen
class Page:
    """What a page kind's data function returns: its template, the template's context, and its
    data blocks by element id (a value, a ``Stream`` of items, or an object with ``Stream`` values)."""

    template: str
    title: str
    context: Mapping[str, Any]
    data: Mapping[str, Any]


def _static(name: str) -> str:
    return resources.files("benchlab.plugins.reporters.html").joinpath("static", name).read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def assets() -> tuple[str, str, str]:
    """The stylesheet, the script and the policy that allows them by hash."""
    css, js = _static("page.css"), _static("page.js")
    digest = (lambda text: base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii"))
    policy = "; ".join([
        "default-src 'none'",
        f"script-src 'sha256-{digest(js)}'",
        f"style-src 'sha256-{digest(css)}'",
        "img-src data:",
        "connect-src 'none'",
        "base-uri 'none'",
        "form-action 'none'",
    ])
    return css, js, policy


@lru_cache(maxsize=1)
def environment() -> Any:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("benchlab.plugins.reporters.html", "templates"),
        autoescape=True,  # every template, whatever its file name
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["percent"] = lambda v: "n/a" if v is None else f"{v * 100:.0f}%"
    env.filters["seconds"] = lambda v: "-" if v is None else f"{v:.2f}s"
    return env


def render_parts(page: Page) -> Iterable[str]:
    """The page's text in pieces, data blocks streamed in place of their markers."""
    from markupsafe import Markup

    css, js, policy = assets()
    # A marker no model text can forge (it is random per page), replaced by each data block.
    nonce = secrets.token_hex(16)
    marker = (lambda name: f"\x00{nonce}:{name}\x00")
    # Small blocks come before the script, streamed ones (transcripts) after it: the browser draws
    # the overview and the first rows while it is still reading the transcripts.
    early = [name for name, value in page.data.items() if not isinstance(value, Stream)]
    late = [name for name, value in page.data.items() if isinstance(value, Stream)]
    html = environment().get_template(page.template).render(
        **page.context, title=page.title, policy=policy, css=Markup(css), js=Markup(js),
        early_blocks=[(name, Markup(marker(name))) for name in early],
        late_blocks=[(name, Markup(marker(name))) for name in late],
    )
    rest = html
    for name in early + late:
        value = page.data[name]
        before, rest = rest.split(marker(name), 1)
        yield before
        yield from _block(value)
    yield rest


def _block(value: Any) -> Iterator[str]:
    """A data block's JSON text in pieces: the text ``safe_json`` gives the same value with every
    ``Stream`` a list, without holding the streamed lists."""
    if isinstance(value, Stream):
        yield from safe_json_array(value.items)
    elif isinstance(value, dict) and any(isinstance(v, Stream) for v in value.values()):
        for number, (key, item) in enumerate(value.items()):
            yield ("{" if number == 0 else ",") + safe_json(key) + ":"
            yield from _block(item)
        yield "}"
    else:
        yield safe_json(value)


def write_page(page: Page, path: Path) -> Path:
    """Write the page whole (a temporary file, then ``os.replace``): no reader sees half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            for part in render_parts(page):
                handle.write(part)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def render_text(page: Page) -> str:
    return "".join(render_parts(page))
