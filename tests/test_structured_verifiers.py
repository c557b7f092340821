"""The structured-output verifiers ``json``, ``yaml``, ``csv`` and ``markdown_table``: each
check passes the right answer and fails the near-miss, every idiomatic form is accepted,
the YAML traps are read as documented, bad params are refused, and no text makes a
verifier raise or blame anything but the answer."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchlab.model import ChatResponse, FailureMode, Scenario, Verdict, VerifierSpec
from benchlab.plugin_manager import load_plugins
from benchlab.plugins.verifiers.structured.answer_extract import extract, fences
from benchlab.plugins.verifiers.structured.structured_checks import parse_path
from benchlab.verifiers import ParamError, VerifyContext

PLUGINS = load_plugins()
KINDS = ("json", "yaml", "csv", "markdown_table")


def verifier(kind: str) -> Any:
    target = PLUGINS.verifiers.get(kind)
    return target() if isinstance(target, type) else target


def ctx(kind: str, response_format: dict[str, Any] | None = None) -> VerifyContext:
    scenario = Scenario(id="T", messages=[{"role": "user", "content": "x"}], verifier=VerifierSpec(kind), response_format=response_format)
    return VerifyContext(scenario=scenario)


def judge(kind: str, params: dict[str, Any], text: str, response_format: dict[str, Any] | None = None) -> Verdict:
    v = verifier(kind)
    return v.verify(v.parse_params(params), ChatResponse(content=text), ctx(kind, response_format))


def failed(verdict: Verdict) -> set[str]:
    return {c.name for c in verdict.checks if not c.ok}


def check(verdict: Verdict, name: str) -> Any:
    return next(c for c in verdict.checks if c.name == name)


def test_the_four_kinds_are_registered_lazily() -> None:
    """The built-in catalog names "module:Class" strings: registering imports no verifier
    (tests/test_plugins.py checks that for the whole catalog in a fresh interpreter)."""
    from benchlab.plugins import builtin

    targets = {name: target for name, target, _ in builtin.VERIFIERS}
    assert all(isinstance(targets[k], str) for k in ("json", "yaml", "csv", "markdown_table"))
    assert {"json", "yaml", "csv", "markdown_table"} <= set(PLUGINS.verifiers.names())


# --- extraction ---------------------------------------------------------------------------------


def test_fences_found_closed_only_with_their_language() -> None:
    text = "a\n```JSON title=x\n{}\n```\n~~~~yaml\nk: v\n~~~~~\n```\nnever closed"
    found = fences(text)
    assert [(f.lang, f.body) for f in found] == [("json", "{}\n"), ("yaml", "k: v\n")]
    assert fences("````\nx\n```\n") == []  # a shorter closing fence does not close


@pytest.mark.parametrize(
    ("text", "strict", "fence", "payload", "ok"),
    [
        ('{"a": 1}', True, True, '{"a": 1}', True),
        ('```json\n{"a": 1}\n```', True, True, '{"a": 1}\n', True),
        ('```\n{"a": 1}\n```', True, True, '{"a": 1}\n', True),
        ('```python\n{"a": 1}\n```', True, True, None, False),
        ('```json\n{"a": 1}\n```', True, False, None, False),
        ('Here:\n```json\n{"a": 1}\n```', True, True, None, False),
        ('Here:\n```json\n{"a": 1}\n```\nDone.', False, True, '{"a": 1}\n', True),
        ('```json\n{"a": 1}\n```\nor\n```json\n{"a": 2}\n```', False, True, None, False),
        ("   ", True, True, None, False),
    ],
)
def test_extract_rules(text: str, strict: bool, fence: bool, payload: str | None, ok: bool) -> None:
    got = extract(text, what="JSON", langs=("json",), strict=strict, fence=fence)
    assert got.payload == payload
    assert got.check.name == "extract" and got.check.ok is ok


def test_reasoning_is_removed_before_extraction() -> None:
    assert judge("json", {"exact": {"a": 1}}, '<think>maybe {"a": 2}?</think>\n{"a": 1}').passed
    assert judge("json", {"exact": {"a": 1}}, '\ufeff{"a": 1}').passed


# --- json ---------------------------------------------------------------------------------------


def test_json_strict_refuses_prose_and_non_strict_locates_the_value() -> None:
    text = 'Sure! Here it is: {"a": [1, 2]} Hope that helps.'
    strict = judge("json", {"exact": {"a": [1, 2]}}, text)
    assert not strict.passed and strict.failure_mode is FailureMode.INVALID_JSON and failed(strict) == {"extract"}
    assert "before and after" in strict.detail
    assert judge("json", {"exact": {"a": [1, 2]}, "strict": False}, text).passed
    # A bracket inside prose does not fool the locator when a later object is the payload.
    assert judge("json", {"exact": {"a": 1}, "strict": False}, 'See [note] below: {"a": 1}').passed
    # A JSON string that contains brackets is still bare JSON.
    assert judge("json", {"exact": "x [1] {}"}, '"x [1] {}"').passed


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ('{"a": NaN}', "NaN is not JSON"),
        ('{"a": Infinity}', "Infinity is not JSON"),
        ('{"a": 1, "a": 2}', "appears twice"),
        ('{"a": 1,}', "Expecting property name"),
        ("{'a': 1}", "Expecting property name"),
        ('{"a": 1} // comment', "text after the JSON"),
        ('{"a": 1} {"b": 2}', "text after the JSON"),
        ("[1, 2", "Expecting"),
        ('{"n": ' + "9" * 5000 + "}", "not usable JSON"),
        ("[" * 100_000, "nested too deeply"),
        ('```json\n{"a": 1}', "never closed"),
        ('~~~\n{"a": 1}\n```', "never closed"),
    ],
)
def test_json_parse_failures_are_invalid_json(text: str, why: str) -> None:
    verdict = judge("json", {}, text)
    assert not verdict.passed and verdict.failure_mode is FailureMode.INVALID_JSON and verdict.score == 0.0
    assert why in verdict.detail


def test_json_schema_violation_names_the_path() -> None:
    schema = {"type": "object", "properties": {"items": {"type": "array", "items": {"type": "object", "properties": {"price": {"type": "number"}}}}}}
    verdict = judge("json", {"schema": schema}, '{"items": [{"price": 1}, {"price": "2"}]}')
    assert verdict.failure_mode is FailureMode.SCHEMA_VIOLATION
    assert check(verdict, "schema").detail.startswith("at /items/1/price: '2' is not of type 'number'")
    assert judge("json", {"schema": schema}, '{"items": [{"price": 1}, {"price": 2.5}]}').passed


def test_json_schema_checks_formats() -> None:
    schema = {"type": "string", "format": "date"}
    assert judge("json", {"schema": schema}, '"2024-02-29"').passed
    assert "is not a 'date'" in judge("json", {"schema": schema}, '"2023-02-29"').detail


def test_json_uses_the_response_format_schema_unless_given_one() -> None:
    response_format = {"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "object", "required": ["a"]}}}
    verdict = judge("json", {}, '{"b": 1}', response_format)
    assert failed(verdict) == {"schema"} and "(root): 'a' is a required property" in verdict.detail
    assert judge("json", {}, '{"a": 1}', response_format).passed
    assert judge("json", {"schema": {"type": "object"}}, '{"b": 1}', response_format).passed
    assert judge("json", {}, '{"b": 1}', {"type": "json_object"}).passed


@pytest.mark.parametrize(
    ("expected", "good", "bad", "where"),
    [
        ({"a": 1, "b": [1, 2]}, '{"b": [1, 2.0], "a": 1.0}', '{"a": 1, "b": [2, 1]}', "/b/0"),
        ({"a": True}, '{"a": true}', '{"a": 1}', "/a: expected true, got number 1"),
        ({"a": "3"}, '{"a": " 3 "}', '{"a": 3}', "/a"),
        ({"a": None}, '{"a": null}', '{"a": null, "b": 1}', "/b: unexpected key"),
        ({"a": {"b": 1}}, '{"a": {"b": 1}}', '{"a": {}}', "/a/b: missing"),
        ([1, 2], "[1, 2]", "[1, 2, 3]", "(root): expected 2 item(s), got 3"),
    ],
)
def test_json_exact_normalisation(expected: Any, good: str, bad: str, where: str) -> None:
    assert judge("json", {"exact": expected}, good).passed
    verdict = judge("json", {"exact": expected}, bad)
    assert failed(verdict) == {"exact"} and verdict.failure_mode is FailureMode.WRONG_ANSWER
    assert where in verdict.detail


DOC = '{"user": {"name": "Ada", "tags": ["x", "y"], "score": 9.96, "note": null}, "a/b": {"~k": 1}}'


@pytest.mark.parametrize(
    ("path", "matcher", "bad_doc"),
    [
        ("/user/name", "Ada", DOC.replace('"Ada"', '"Bob"')),
        ("user.name", {"eq": "ada", "ignore_case": True}, DOC.replace('"Ada"', '"Adam"')),
        ("user.tags[1]", {"one_of": ["y", "z"]}, DOC.replace('"y"', '"w"')),
        ("user.tags.0", {"regex": "^[a-x]$"}, DOC.replace('"x"', '"xx"')),
        ("/user/score", {"number": 10, "tolerance": 0.05}, DOC.replace("9.96", "9.9")),
        ("/user/note", {"present": True}, DOC.replace(', "note": null', "")),
        ("/user/email", {"absent": True}, DOC.replace('"note"', '"email"').replace("null", '"a@b"')),
        ("/a~1b/~0k", 1, DOC.replace('"~k": 1', '"~k": 2')),
    ],
)
def test_json_path_matchers_pass_and_fail(path: str, matcher: Any, bad_doc: str) -> None:
    params = {"paths": {path: matcher}}
    assert judge("json", params, DOC).passed
    verdict = judge("json", params, bad_doc)
    assert failed(verdict) == {f"path:{path}"}, verdict.detail


def test_json_missing_path_is_missing_field_and_says_where_the_walk_stopped() -> None:
    verdict = judge("json", {"paths": {"/user/address/city": "Oslo"}}, DOC)
    assert verdict.failure_mode is FailureMode.MISSING_FIELD
    assert "/user has no key 'address'" in verdict.detail
    verdict = judge("json", {"paths": {"/user/tags/5": "x", "/user/name": "Bob"}}, DOC)
    assert verdict.failure_mode is FailureMode.WRONG_ANSWER  # one path is wrong, not only missing
    assert "has 2 item(s), no index 5" in verdict.detail
    assert "has no" in judge("json", {"paths": {"/user/name/first": "A"}}, DOC).detail


def test_json_root_type() -> None:
    assert judge("json", {"root": "array"}, "[]").passed
    verdict = judge("json", {"root": "array"}, '{"a": []}')
    assert failed(verdict) == {"root_type"} and verdict.failure_mode is FailureMode.SCHEMA_VIOLATION


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"bogus": 1}, "bogus"),
        ({"strict": "yes"}, "strict"),
        ({"schema": {"type": "objekt"}}, "schema"),
        ({"schema": {"properties": {"a": {"minimum": "3"}}}}, "schema"),
        ({"exact": {1, 2}}, "exact"),
        ({"paths": {"a..b": 1}}, "paths.a..b"),
        ({"paths": {"/a~2": 1}}, "paths./a~2"),
        ({"paths": {"a[x]": 1}}, "paths.a[x]"),
        ({"paths": {"a": {"regex": "("}}}, "paths.a.regex"),
        ({"paths": {"a": {"number": 1, "tolerance": -1}}}, "paths.a.tolerance"),
        ({"paths": {"a": {"eq": 1, "one_of": [1]}}}, "paths.a"),
        ({"root": "scalar"}, "root"),
    ],
)
def test_json_bad_params_are_refused(params: dict[str, Any], field: str) -> None:
    with pytest.raises(ParamError) as caught:
        verifier("json").validate(params)
    assert caught.value.field == field


def test_path_syntax() -> None:
    assert parse_path("") == []
    assert parse_path("/a/0/b~1c/~0") == ["a", "0", "b/c", "~"]
    assert parse_path("a.b[2][0].c") == ["a", "b", "2", "0", "c"]
    assert parse_path("[0].name") == ["0", "name"]


# --- yaml ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "path", "expected"),
    [
        ("a: no\n", "a", False),
        ("a: 1.10\n", "a", 1.1),
        ("a: '1.10'\n", "a", "1.10"),
        ("a: 2024-01-01\n", "a", "2024-01-01"),
        ("a: '2024-01-01'\n", "a", "2024-01-01"),
        ("a: 2024-01-01 10:30:00\n", "a", "2024-01-01 10:30:00"),
        ("a: 010\n", "a", 8),
        ("a: ~\n", "a", None),
        ("on: 1\n", "true", 1),
        ("1: x\n", "1", "x"),
        ("a: !!binary aGk=\n", "a", "aGk="),
        ("base: &b {x: 1, y: 2}\na:\n  <<: *b\n  y: 3\n", "a", {"x": 1, "y": 3}),
    ],
)
def test_yaml_values_as_documented(text: str, path: str, expected: Any) -> None:
    verdict = judge("yaml", {"paths": {path: {"eq": expected}}, "portable": False}, text)
    assert verdict.passed, verdict.detail


def test_yaml_traps_fail_where_a_string_is_wanted() -> None:
    params = {"paths": {"version": "1.10", "region": "NO"}, "portable": False}
    assert judge("yaml", params, 'version: "1.10"\nregion: "NO"\n').passed
    verdict = judge("yaml", params, "version: 1.10\nregion: NO\n")
    assert failed(verdict) == {"path:version", "path:region"}
    assert "expected '1.10', got 1.1" in verdict.detail


@pytest.mark.parametrize("scalar", ["yes", "No", "off", "y", "010", "1_000", "1:30", "0b101", "1e3", "0o17", "09", "2024-01-01", "2024-01-01 10:00:00"])
def test_yaml_unportable_plain_scalars_fail_portable_scalars(scalar: str) -> None:
    verdict = judge("yaml", {}, f"a: {scalar}\n")
    assert failed(verdict) == {"portable_scalars"}, verdict.detail
    assert verdict.failure_mode is FailureMode.SCHEMA_VIOLATION
    assert judge("yaml", {}, f"a: '{scalar}'\n").passed
    assert judge("yaml", {"portable": False}, f"a: {scalar}\n").passed


@pytest.mark.parametrize("scalar", ["true", "False", "12", "-3", "0x1F", "1.5", ".inf", "~", "null", "'2024-01-01'", "2024-1-1x", "web-1", "!!str 010", "nginx:1.25"])
def test_yaml_portable_plain_scalars_pass(scalar: str) -> None:
    verdict = judge("yaml", {}, f"a: {scalar}\n")
    assert verdict.passed, verdict.detail


def test_an_unquoted_date_is_named_as_a_date_in_yaml_1_1() -> None:
    verdict = judge("yaml", {"paths": {"release_date": "2024-05-01"}}, "release_date: 2024-05-01\n")
    assert failed(verdict) == {"portable_scalars"}  # the value itself still equals the text
    assert "'2024-05-01' on line 1 is a date in YAML 1.1 but a string in YAML 1.2" in verdict.detail


@pytest.mark.parametrize("kind", ["json", "yaml"])
def test_a_strict_integer_matcher_tells_3_from_3_0(kind: str) -> None:
    params = {"paths": {"replicas": {"all_of": [3, {"type": "integer", "strict": True}]}}, "schema": {"type": "object", "properties": {"replicas": {"type": "integer"}}}}
    text = "replicas: {}\n" if kind == "yaml" else '{{"replicas": {}}}'
    assert judge(kind, params, text.format("3")).passed
    verdict = judge(kind, params, text.format("3.0"))
    assert failed(verdict) == {"path:replicas"}, verdict.detail  # the schema's integer lets 3.0 through
    assert "expected a value of type integer, got number 3.0 (a float" in verdict.detail
    loose = {"paths": {"replicas": {"type": "integer"}}}
    assert judge(kind, loose, text.format("3.0")).passed
    with pytest.raises(ParamError) as caught:
        verifier(kind).validate({"paths": {"replicas": {"type": "integer", "strict": "yes"}}})
    assert caught.value.field == "paths.replicas.strict"


def test_yaml_documents() -> None:
    verdict = judge("yaml", {}, "a: 1\n---\nb: 2\n")
    assert failed(verdict) == {"documents"} and "2 documents" in verdict.detail
    assert judge("yaml", {}, "---\na: 1\n...\n").passed
    many = judge("yaml", {"multi_document": True, "exact": [{"a": 1}, {"b": 2}]}, "a: 1\n---\nb: 2\n")
    assert many.passed, many.detail


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("a: 1\na: 2\n", "duplicate key 'a'"),
        ("a: &a [*a]\n", "contains itself"),
        ("a: [1, 2\n", "line"),
        ("", "the answer is empty"),
        ("---\n", "no YAML document"),
        ("# only a comment\n", "no YAML document"),
        ("Sure, here is your configuration file.", "plain string"),
        ("a: !!python/object/apply:os.system ['echo hi']\n", "could not determine a constructor"),
        ("a: " + "9" * 5000 + "\n", "cannot read a value"),
    ],
)
def test_yaml_unusable_documents_fail_parse(text: str, why: str) -> None:
    verdict = judge("yaml", {}, text)
    assert not verdict.passed and verdict.failure_mode is FailureMode.INVALID_JSON and verdict.score == 0.0
    assert why in verdict.detail


def test_yaml_never_runs_tags(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    verdict = judge("yaml", {}, f"a: !!python/object/apply:os.system ['touch {marker}']\n")
    assert not verdict.passed and not marker.exists()


def test_yaml_alias_bomb_is_refused_quickly() -> None:
    lines = ['a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    for i in range(1, 9):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    verdict = judge("yaml", {}, "\n".join(lines))
    assert not verdict.passed and "expands to more than" in verdict.detail


def test_yaml_root_and_params() -> None:
    assert failed(judge("yaml", {}, "- a\n- b\n")) == {"root_type"}
    assert judge("yaml", {"root": "array"}, "- a\n- b\n").passed
    assert judge("yaml", {"root": "any", "exact": 5}, "5").passed
    with pytest.raises(ParamError) as caught:
        verifier("yaml").validate({"root": "any"})
    assert caught.value.field == "root"
    with pytest.raises(ParamError):
        verifier("yaml").validate({"multi_document": 1})


def test_yaml_fence_and_schema() -> None:
    schema = {"type": "object", "additionalProperties": False, "properties": {"port": {"type": "integer"}}}
    assert judge("yaml", {"schema": schema}, "```yml\nport: 80\n```").passed
    verdict = judge("yaml", {"schema": schema}, "Here is the config:\nport: 80\n")
    assert failed(verdict) == {"schema"} and "Here is the config" in verdict.detail
    assert failed(judge("yaml", {"schema": schema}, "```json\nport: 80\n```")) == {"extract"}


# --- csv ----------------------------------------------------------------------------------------

PEOPLE = {"columns": ["id", "name", "age"], "rows": 2}


@pytest.mark.parametrize(
    "text",
    [
        "id,name,age\n1,Ada,36\n2,Bob,40\n",
        '"id","name","age"\r\n"1","Ada","36"\r\n"2","Bob","40"\r\n',
        "id, name, age\n1, Ada, 36\n\n2, Bob, 40",
        "```csv\nid,name,age\n1,Ada,36\n2,Bob,40\n```",
        "```text\nid,name,age\n1,Ada,36\n2,Bob,40\n```",
    ],
)
def test_csv_idiomatic_forms_pass(text: str) -> None:
    params = {**PEOPLE, "expected_rows": [{"id": 1, "name": "Ada", "age": 36}, {"id": 2, "name": "Bob", "age": 40}]}
    verdict = judge("csv", params, text)
    assert verdict.passed, verdict.detail


@pytest.mark.parametrize(
    ("params", "text", "fails"),
    [
        (PEOPLE, "id,name,age\n1,Smith, Jane,36\n2,Bob,40\n", "column_count"),
        (PEOPLE, "id;name;age\n1;Ada;36\n2;Bob;40\n", "delimiter"),
        (PEOPLE, "name,id,age\nAda,1,36\nBob,2,40\n", "header"),
        (PEOPLE, "id,name\n1,Ada\n2,Bob\n", "header"),
        (PEOPLE, "id,name,age,email\n1,Ada,36,a\n2,Bob,40,b\n", "header"),
        (PEOPLE, "id,name,age\n1,Ada,36\n", "row_count"),
        (PEOPLE, 'id,name,age\n1,"Ada,36\n2,Bob,40\n', "parse"),
        (PEOPLE, "```python\nid,name,age\n1,Ada,36\n2,Bob,40\n```", "extract"),
        (PEOPLE, "Here you go:\nid,name,age\n1,Ada,36\n2,Bob,40\n", "extract"),
    ],
)
def test_csv_near_misses(params: dict[str, Any], text: str, fails: str) -> None:
    verdict = judge("csv", params, text)
    assert fails in failed(verdict), verdict.detail


def test_csv_header_options() -> None:
    text = "age,name,id,email\n36,Ada,1,a@x\n40,Bob,2,b@x\n"
    assert judge("csv", {**PEOPLE, "ordered_columns": False, "extra_columns": True}, text).passed
    assert failed(judge("csv", {**PEOPLE, "ordered_columns": False}, text)) == {"header"}
    assert judge("csv", {**PEOPLE, "ignore_case": True}, "ID,Name,AGE\n1,Ada,36\n2,Bob,40\n").passed
    assert failed(judge("csv", PEOPLE, "id,name,name\n1,Ada,Ada\n2,Bob,Bob\n")) == {"header"}


def test_csv_without_header_and_other_delimiter() -> None:
    params = {"columns": ["id", "name"], "header": False, "delimiter": "\t", "cells": [{"row": 1, "column": "name", "match": "Bob"}]}
    assert judge("csv", params, "1\tAda\n2\tBob\n").passed
    assert failed(judge("csv", params, "1\tAda\n2\tBo\n")) == {"cell[1].name"}


def test_csv_non_strict_takes_the_lines_from_the_header() -> None:
    text = "Here you go:\n\nid,name,age\n1,Ada,36\n2,Bob,40\n\nAnything else?"
    assert judge("csv", {**PEOPLE, "strict": False}, text).passed


@pytest.mark.parametrize(
    ("cell", "good", "bad"),
    [
        ({"row": 0, "column": "age", "match": 36}, "36.0", "thirty-six"),
        ({"row": 0, "column": "age", "match": {"number": 36, "tolerance": 0.5}}, "36.4", "37"),
        ({"row": 0, "column": "age", "match": {"one_of": [36, 37]}}, "37", "38"),
        ({"row": 0, "column": "age", "match": {"type": "integer"}}, "36", "36.5"),
        ({"row": 0, "column": "name", "match": {"regex": "^A"}}, "Ada", "Bob"),
        ({"row": 0, "column": "name", "match": {"one_of": ["Ada", "Ann"]}}, "Ann", "Bo"),
        ({"row": "all", "column": "name", "match": {"regex": "^[A-Z][a-z]+$"}}, "Ada", "ada"),
        ({"where": {"name": "Bob"}, "column": "age", "match": 40}, "Ada", None),
        ({"row": 0, "column": "zip", "match": "02134"}, "02134", "2134"),
    ],
)
def test_csv_cell_matchers(cell: dict[str, Any], good: str, bad: str | None) -> None:
    columns = ["id", "name", "age", "zip"]
    def table(value: str) -> str:
        first = {"name": "Ada", "age": "36", "zip": "02134"}
        key = cell["column"] if "row" in cell else "name"
        first[key] = value
        return f"id,name,age,zip\n1,{first['name']},{first['age']},{first['zip']}\n2,Bob,40,10001\n"
    params = {"columns": columns, "cells": [cell]}
    name = next(c.name for c in judge("csv", params, table(good)).checks if c.name.startswith("cell"))
    assert judge("csv", params, table(good)).passed, judge("csv", params, table(good)).detail
    if bad is not None:
        verdict = judge("csv", params, table(bad))
        assert failed(verdict) == {name}, verdict.detail


def test_csv_where_rows_missing_or_ambiguous() -> None:
    params = {"columns": ["name", "age"], "cells": [{"where": {"name": "Cy"}, "column": "age", "match": 1}]}
    verdict = judge("csv", params, "name,age\nAda,1\n")
    assert verdict.failure_mode is FailureMode.MISSING_FIELD and "no row where name=Cy" in verdict.detail
    verdict = judge("csv", params, "name,age\nCy,1\nCy,1\n")
    assert verdict.failure_mode is FailureMode.WRONG_ANSWER and "2 rows where name=Cy" in verdict.detail


def test_csv_order_and_expected_rows() -> None:
    numeric = {"columns": ["n"], "order_by": {"column": "n", "numeric": True}}
    assert judge("csv", numeric, "n\n2\n10\n10\n").passed
    assert failed(judge("csv", numeric, "n\n10\n2\n")) == {"order"}
    assert "not a number" in judge("csv", numeric, "n\n1\nx\n").detail
    text_order = {"columns": ["n"], "order_by": {"column": "n", "descending": True}}
    assert judge("csv", text_order, "n\nb\na\n").passed  # as text
    assert failed(judge("csv", text_order, "n\na\nb\n")) == {"order"}
    rows = {"columns": ["k"], "expected_rows": [{"k": "a"}, {"k": "b"}], "rows_ordered": True}
    assert judge("csv", rows, "k\na\nx\nb\n").passed
    verdict = judge("csv", rows, "k\nb\na\n")
    assert failed(verdict) == {"expected_rows"} and "[1]" in verdict.detail and "[0]" not in verdict.detail
    assert judge("csv", {**rows, "rows_ordered": False}, "k\nb\na\n").passed


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "columns"),
        ({"columns": []}, "columns"),
        ({"columns": ["a", "a"]}, "columns"),
        ({"columns": ["a", " "]}, "columns"),
        ({"columns": ["a"], "delimiter": ";;"}, "delimiter"),
        ({"columns": ["a"], "delimiter": '"'}, "delimiter"),
        ({"columns": ["a"], "rows": -1}, "rows"),
        ({"columns": ["a"], "rows": {"min": 3, "max": 1}}, "rows.min"),
        ({"columns": ["a"], "rows": {"least": 1}}, "rows.least"),
        ({"columns": ["a"], "cells": [{"row": 0, "where": {"a": 1}, "column": "a", "match": 1}]}, "cells[0]"),
        ({"columns": ["a"], "cells": [{"row": -1, "column": "a", "match": 1}]}, "cells[0].row"),
        ({"columns": ["a"], "cells": [{"row": 0, "column": "b", "match": 1}]}, "cells[0].column"),
        ({"columns": ["a"], "cells": [{"row": 0, "column": "a"}]}, "cells[0].match"),
        ({"columns": ["a"], "cells": [{"row": 0, "column": "a", "match": {"regex": "["}}]}, "cells[0].match.regex"),
        ({"columns": ["a"], "expected_rows": [{"b": 1}]}, "expected_rows[0].b"),
        ({"columns": ["a"], "order_by": {"column": "b"}}, "order_by.column"),
        ({"columns": ["a"], "order_by": {"column": "a", "reverse": True}}, "order_by.reverse"),
    ],
)
def test_csv_bad_params_are_refused(params: dict[str, Any], field: str) -> None:
    with pytest.raises(ParamError) as caught:
        verifier("csv").validate(params)
    assert caught.value.field == field


# --- markdown_table -----------------------------------------------------------------------------

PLANETS = {"columns": ["Planet", "Moons"], "rows": 2, "expected_rows": [{"Planet": "Mars", "Moons": 2}, {"Planet": "Earth", "Moons": 1}]}


@pytest.mark.parametrize(
    "text",
    [
        "| Planet | Moons |\n|---|---|\n| Mars | 2 |\n| Earth | 1 |",
        "Planet | Moons\n:--- | ---:\nMars | 2\nEarth | 1\n",
        "|**Planet**|`Moons`|\n|:-:|-|\n|  *Mars*  | 2 |\n| Earth |1|",
        "```markdown\n| Planet | Moons |\n| ------ | ----- |\n| Mars   | 2     |\n| Earth  | 1     |\n```",
        "| Planet | Moons |\n|---|---|\n| Earth | 1 |\n| Mars | 2.0 |",
    ],
)
def test_markdown_idiomatic_forms_pass(text: str) -> None:
    verdict = judge("markdown_table", PLANETS, text)
    assert verdict.passed, verdict.detail


@pytest.mark.parametrize(
    ("text", "fails", "mode"),
    [
        ("| Planet | Moons |\n| Mars | 2 |\n| Earth | 1 |", "separator", FailureMode.SCHEMA_VIOLATION),
        ("| Planet | Moons |\n|---|---|---|\n| Mars | 2 |\n| Earth | 1 |", "separator", FailureMode.SCHEMA_VIOLATION),
        ("| Planet | Moons |\n|---|---|\n| Mars | 2 | x |\n| Earth | 1 |", "column_count", FailureMode.SCHEMA_VIOLATION),
        ("| Planet | Satellites |\n|---|---|\n| Mars | 2 |\n| Earth | 1 |", "header", FailureMode.SCHEMA_VIOLATION),
        ("| Planet | Moons |\n|---|---|\n| Mars | 2 |", "row_count", FailureMode.WRONG_ANSWER),
        ("| Planet | Moons |\n|---|---|\n| Mars | 3 |\n| Earth | 1 |", "expected_rows", FailureMode.WRONG_ANSWER),
        ("Planets:\n\n| Planet | Moons |\n|---|---|\n| Mars | 2 |\n| Earth | 1 |", "extract", FailureMode.INVALID_JSON),
        ("Mars has 2 moons and Earth has 1.", "parse", FailureMode.INVALID_JSON),
    ],
)
def test_markdown_near_misses(text: str, fails: str, mode: FailureMode) -> None:
    verdict = judge("markdown_table", PLANETS, text)
    assert fails in failed(verdict), verdict.detail
    assert verdict.failure_mode is mode


def test_markdown_non_strict_tables_and_cells() -> None:
    text = "Planets:\n\n| Planet | Moons |\n|---|---|\n| Mars | 2 |\n| Earth | 1 |\n\nThat is all."
    assert judge("markdown_table", {**PLANETS, "strict": False}, text).passed
    two = text + "\n\n| A | B |\n|---|---|\n| 1 | 2 |"
    assert failed(judge("markdown_table", {**PLANETS, "strict": False}, two)) == {"parse"}
    escaped = {"columns": ["Expr", "Means"], "cells": [{"row": 0, "column": "Expr", "match": "a | b"}]}
    assert judge("markdown_table", escaped, "| Expr | Means |\n|---|---|\n| a \\| b | or |").passed
    case = {"columns": ["planet"], "ignore_case": True, "cells": [{"row": 0, "column": "planet", "match": "MARS"}]}
    assert judge("markdown_table", case, "| Planet |\n|---|\n| mars |").passed
    assert not judge("markdown_table", {**case, "ignore_case": False}, "| Planet |\n|---|\n| mars |").passed
    ordered = {"columns": ["Planet", "Moons"], "order_by": {"column": "Moons", "numeric": True, "descending": True}}
    assert judge("markdown_table", ordered, "| Planet | Moons |\n|---|---|\n| Mars | 2 |\n| Earth | 1 |").passed
    assert failed(judge("markdown_table", ordered, "| Planet | Moons |\n|---|---|\n| Earth | 1 |\n| Mars | 2 |")) == {"order"}


def test_markdown_bad_params_are_refused() -> None:
    with pytest.raises(ParamError):
        verifier("markdown_table").validate({"columns": ["a"], "delimiter": ","})
    with pytest.raises(ParamError):
        verifier("markdown_table").validate({"columns": "a"})


# --- no text makes a verifier raise, and a failure is always the answer's -------------------------

PARAMS: dict[str, list[dict[str, Any]]] = {
    "json": [
        {},
        {"strict": False, "root": "object", "schema": {"type": "object", "required": ["a"], "properties": {"a": {"type": "array", "items": {"type": "integer"}}}},
         "exact": {"a": [1]}, "paths": {"/a/0": {"number": 1, "tolerance": 0.5}, "a.1": {"absent": True}, "b": {"one_of": ["x", 1]}, "c": {"regex": "^x"}}},
    ],
    "yaml": [
        {},
        {"strict": False, "multi_document": True, "paths": {"0.a": {"present": True}}, "schema": {"type": "array"}},
        {"root": "any", "exact": {"a": [1, "2"]}, "portable": False},
    ],
    "csv": [
        {"columns": ["a", "b"]},
        {"columns": ["a", "b"], "strict": False, "rows": {"min": 1}, "ordered_columns": False, "extra_columns": True, "ignore_case": True,
         "cells": [{"row": "all", "column": "a", "match": {"number": 1}}, {"where": {"b": "x"}, "column": "a", "match": {"regex": "."}}],
         "expected_rows": [{"a": 1}], "rows_ordered": True, "order_by": {"column": "b", "numeric": True}},
        {"columns": ["a", "b"], "header": False, "delimiter": ";"},
    ],
    "markdown_table": [
        {"columns": ["a", "b"]},
        {"columns": ["a", "b"], "strict": False, "rows": 2, "ignore_case": True,
         "cells": [{"row": 0, "column": "a", "match": {"any_of": [1, {"regex": "x"}]}}], "expected_rows": [{"b": "y"}],
         "order_by": {"column": "a", "numeric": True, "descending": True}},
    ],
}


def _json_values() -> st.SearchStrategy[Any]:
    leaves = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=8)
    return st.recursive(leaves, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4), max_leaves=12)


@st.composite
def mutated(draw: Any, base: st.SearchStrategy[str]) -> str:
    """A structured-looking text with a few random edits (cuts, insertions of syntax characters)."""
    text = draw(base)
    for _ in range(draw(st.integers(0, 3))):
        position = draw(st.integers(0, len(text)))
        if draw(st.booleans()):
            text = text[:position] + draw(st.sampled_from(list('{}[]",:-|\n\t ;\'`*&!#?>~<\\'))) + text[position:]
        else:
            text = text[:position] + text[position + draw(st.integers(0, 4)):]
    if draw(st.booleans()):
        text = f"{draw(st.sampled_from(['```', '```json', '```yaml', '~~~csv', '```markdown']))}\n{text}\n{draw(st.sampled_from(['```', '', '~~~']))}"
    if draw(st.booleans()):
        text = draw(st.sampled_from(["<think>x</think>", "Here:\n", "</think>", ""])) + text
    return text


def _yaml_dump(value: Any) -> str:
    import yaml

    return yaml.safe_dump(value, default_flow_style=None)


JSONISH = mutated(_json_values().map(json.dumps))
YAMLISH = mutated(_json_values().map(_yaml_dump)) | mutated(st.text(alphabet="abyesnoNO0189.:_-'\"&*!|>#~%@ \n\t[]{},", max_size=60))
CSVISH = mutated(st.lists(st.lists(st.text(alphabet='ab1 ,;"\t\r.-x', max_size=6), min_size=1, max_size=4), max_size=5).map(
    lambda rows: "\n".join(",".join(cells) for rows_ in [rows] for cells in rows_)).map(lambda body: "a,b\n" + body))
MDISH = mutated(st.lists(st.text(alphabet="ab1 |-:*_`\\x", max_size=12), max_size=6).map(lambda lines: "| a | b |\n|---|---|\n" + "\n".join(lines)))
ANYTEXT = st.text(max_size=200)


def _assert_content_verdict(kind: str, text: str) -> None:
    for params in PARAMS[kind]:
        v = verifier(kind)
        verdict = v.verify(v.parse_params(params), ChatResponse(content=text), ctx(kind))
        assert isinstance(verdict, Verdict)
        assert 0.0 <= verdict.score <= 1.0
        if verdict.passed:
            assert verdict.failure_mode is None
        else:
            assert verdict.failure_mode is not None and verdict.failure_mode.category == "content"
            assert verdict.failure_mode is not FailureMode.VERIFIER_FAIL
            assert any(not c.ok for c in verdict.checks)


_SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_SETTINGS
@given(text=ANYTEXT | JSONISH)
def test_json_never_raises(text: str) -> None:
    _assert_content_verdict("json", text)


@_SETTINGS
@given(text=ANYTEXT | YAMLISH)
def test_yaml_never_raises(text: str) -> None:
    _assert_content_verdict("yaml", text)


@_SETTINGS
@given(text=ANYTEXT | CSVISH)
def test_csv_never_raises(text: str) -> None:
    _assert_content_verdict("csv", text)


@_SETTINGS
@given(text=ANYTEXT | MDISH)
def test_markdown_table_never_raises(text: str) -> None:
    _assert_content_verdict("markdown_table", text)


# Nesting far deeper than any parser's recursion: libyaml's C composer once segfaulted here.
DEEP_OPENERS = ["[", "{", '{"a":', "- ", "? ", "a: [", "[a: ", "|", "[|"]


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(opener=st.sampled_from(DEEP_OPENERS), depth=st.integers(20_000, 60_000), closed=st.booleans(),
       kind=st.sampled_from(KINDS), fenced=st.booleans())
def test_deep_nesting_never_crashes(opener: str, depth: int, closed: bool, kind: str, fenced: bool) -> None:
    text = opener * depth + ("x" + "]" * depth if closed else "")
    _assert_content_verdict(kind, f"```\n{text}\n```" if fenced else text)


_DEEP_SCRIPT = """
import sys
sys.path.insert(0, {tests!r})
from test_structured_verifiers import _assert_content_verdict, judge
for kind in {kinds!r}:
    for text in {texts}:
        _assert_content_verdict(kind, text)
        assert not judge(kind, {{"root": "any", "exact": 1}} if kind in ("json", "yaml") else {{"columns": ["a"]}}, text).passed
print("survived")
"""


def test_deep_nesting_fails_the_answer_in_a_process_that_survives() -> None:
    """Run in a child process: a stack overflow in a C parser kills the process, which pytest
    itself could not report. 100,000 levels of each kind of nesting, closed and not."""
    import subprocess
    import sys

    texts = ("['[' * 30000 + ']' * 30000, 'a: ' + '[' * 50000, '{' * 100000, '- ' * 100000 + 'x', "
             "'? ' * 100000, '[a: ' * 100000, '{\"a\":' * 100000 + '1' + '}' * 100000, "
             "'```yaml\\n' + '[' * 100000 + '\\n```', '|' + '[|' * 100000]")
    script = _DEEP_SCRIPT.format(tests=str(Path(__file__).parent), kinds=list(KINDS), texts=texts)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"rc {done.returncode}: {done.stderr[-2000:]}"
    assert done.stdout.strip() == "survived"


@_SETTINGS
@given(value=_json_values())
def test_any_json_value_equals_itself_in_json_and_yaml(value: Any) -> None:
    """``exact`` accepts a value written back as JSON, and as YAML (portable: false).

    A top-level null is left out for YAML: a document that is only null reads as empty."""
    assert judge("json", {"exact": value}, json.dumps(value)).passed
    assert judge("json", {"exact": value}, json.dumps(value, indent=2)).passed
    if value is not None:
        verdict = judge("yaml", {"root": "any", "exact": value, "portable": False}, _yaml_dump(value))
        assert verdict.passed, verdict.detail


def test_the_documented_examples_are_valid_params() -> None:
    """Every ```json example in docs/verifiers-structured.md loads as the verifier's params."""
    import re

    doc = (Path(__file__).resolve().parent.parent / "docs" / "verifiers-structured.md").read_text(encoding="utf-8")
    examples = [json.loads(block) for block in re.findall(r"```json\n(.*?)```", doc, re.DOTALL)]
    assert sorted(e["kind"] for e in examples) == sorted(KINDS)
    for example in examples:
        params = {k: v for k, v in example.items() if k != "kind"}
        verifier(example["kind"]).validate(params)
