"""Verifier ``yaml``: the answer is a YAML document a real parser reads as intended.

Params (all optional)::

    {"kind": "yaml",
     "strict": true, "fence": true,
     "root": "object", "multi_document": false, "portable": true,
     "schema": {...}, "exact": {...}, "paths": {"server.port": 8080}}

Extraction as for ``json`` (fence tags ``yaml``, ``yml`` or none). There is no locator:
prose is itself valid YAML, so with ``strict: false`` only a fenced block is picked out
of prose; otherwise the whole answer is parsed.

Parsing: PyYAML ``SafeLoader`` (never constructs objects), duplicate keys refused, see
``benchlab.plugins.verifiers.structured.yaml_load``. ``multi_document`` (default false): the answer must be one
document (a leading ``---`` and a final ``...`` are fine); when true, the value checked is
the list of documents. ``root`` (object | array | any) checks the type of that value:
by default an object, or an array with ``multi_document``; ``any`` needs ``schema``, ``exact`` or ``paths``, since almost any
text is a valid YAML scalar.

How values compare with the expected (JSON) values, the YAML traps included:
    The value is what a YAML 1.1 loader (PyYAML) returns, converted to JSON data.
    ``enabled: no`` is ``false``; ``version: 1.10`` is the number 1.1 (so it does not
    equal the string ``"1.10"``: the model must quote it); ``code: 010`` is 8;
    ``country: NO`` is ``false``; an unquoted ``2024-01-01`` is kept as the string
    ``"2024-01-01"`` (equal to the quoted form, but not portable, see below); the key
    ``on:`` is ``"true"``; ``replicas: 3.0`` is a float (a schema's ``integer`` accepts it,
    the matcher ``{"type": "integer", "strict": true}`` in ``paths`` does not).
    ``portable`` (default true) adds the check ``portable_scalars``: it fails when a
    plain (unquoted) scalar is read differently by YAML 1.1 and YAML 1.2 parsers
    (``yes``/``no``/``on``/``off``, ``010``, ``1_000``, ``1:30``, ``1e3``, a date such as
    ``2024-05-01``, which YAML 1.1 loaders build a date from...): such a
    document means different things to different consumers. Quoted scalars and
    ``true``/``false`` are always portable.

Checks: ``extract``, ``parse``, ``documents``, ``root_type``, ``portable_scalars``,
``schema``, ``exact``, ``path:KEY``. Failure modes: ``invalid_json`` (extract or parse:
the payload does not parse, whatever its language), ``schema_violation`` (documents,
root_type, portable_scalars, schema), ``missing_field`` (only absent paths),
``wrong_answer``.
"""

from __future__ import annotations

from typing import Any

import attrs

from benchlab.model import ChatResponse, Check, Verdict
from benchlab.plugins.verifiers.structured.answer_extract import answer, extract
from benchlab.plugins.verifiers.structured.structured_checks import ValueParams, value_checks, verdict
from benchlab.verifier_params import ParamError, given
from benchlab.verifiers import Verifier, VerifyContext

STRUCTURE = frozenset({"documents", "root_type", "portable_scalars", "schema"})


@attrs.frozen
class YamlParams(ValueParams):
    multi_document: bool = False
    portable: bool = True

    def __attrs_post_init__(self) -> None:
        if self.root == "any" and self.schema is None and not given(self.exact) and not self.paths:
            raise ParamError("root", "with root 'any' give schema, exact or paths: almost any text is a YAML scalar")


class YamlVerifier(Verifier):
    """Judge a YAML answer: extraction, safe parsing, document count, portability, values."""

    params = YamlParams

    def verify(self, params: YamlParams, response: ChatResponse, ctx: VerifyContext) -> Verdict:
        from benchlab.plugins.verifiers.structured.yaml_load import YamlProblem, load

        got = extract(
            answer(response), what="YAML", langs=("yaml", "yml"),
            strict=params.strict, fence=params.fence,
        )
        checks = [got.check]
        if got.payload is None:
            return verdict(checks, structure=STRUCTURE)
        try:
            loaded = load(got.payload)
        except YamlProblem as exc:
            checks.append(Check("parse", False, f"not valid YAML: {exc}"))
            return verdict(checks, structure=STRUCTURE)
        multi = params.multi_document
        root = params.root or ("array" if multi else "object")
        count = len(loaded.documents)
        value: Any = loaded.documents if multi else loaded.documents[0] if count else None
        if not count or all(d is None for d in loaded.documents):
            checks.append(Check("parse", False, "no YAML document (empty or only comments)"))
            return verdict(checks, structure=STRUCTURE)
        if root != "any" and isinstance(value, str):
            # Prose is a valid YAML string: not a document of the asked-for kind at all.
            kind = "mapping" if root == "object" else "sequence"
            checks.append(Check("parse", False, f"the document is a plain string, not a YAML {kind}: {value[:60]!r}"))
            return verdict(checks, structure=STRUCTURE)
        checks.append(Check("parse", True))
        if multi:
            checks.append(Check("documents", True, f"{count} document(s)"))
        else:
            checks.append(Check("documents", count == 1, "" if count == 1 else f"{count} documents; expected one"))
        if params.portable:
            problems = loaded.unportable
            more = f" (+{len(problems) - 3} more)" if len(problems) > 3 else ""
            detail = "; ".join(problems[:3]) + more + ("; quote text, write booleans as true/false" if problems else "")
            checks.append(Check("portable_scalars", not problems, detail))
        more_checks, missing = value_checks(params, value, ctx, default_root=root)
        return verdict(checks + more_checks, structure=STRUCTURE, missing=missing)
