"""Registers the structured-output verifiers: ``json``, ``yaml``, ``csv``, ``markdown_table``.

Each lives in its own module, named here as a ``"module:Class"`` string so that
registering costs no import (PyYAML and jsonschema load only when a scenario is judged).
Documentation with examples: docs/verifiers-structured.md.
"""

from __future__ import annotations

from typing import Any

from benchlab import hookimpl

_VERIFIERS = (
    ("json", "benchlab.plugins.json_verifier:JsonVerifier", "JSON: parses, fits a JSON Schema, exact value, per-path matchers"),
    ("yaml", "benchlab.plugins.yaml_verifier:YamlVerifier", "YAML: safe-parsed, one document, portable scalars, schema/exact/paths"),
    ("csv", "benchlab.plugins.csv_verifier:CsvVerifier", "CSV: delimiter, header columns, row count, cells, order"),
    ("markdown_table", "benchlab.plugins.markdown_table:MarkdownTableVerifier", "markdown table: separator row, header, row widths, cells, order"),
)


@hookimpl
def register_verifiers(register: Any) -> None:
    for kind, target, summary in _VERIFIERS:
        register(kind, target, summary=summary)
