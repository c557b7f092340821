"""The ``extraction`` verifier: per-field scoring of numbers, strings, dates, booleans, nulls,
lists and objects; threshold and score; JSON extraction and failure modes; param
validation; and no model output making it raise."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchlab.model import ChatResponse, FailureMode, Scenario, Verdict, VerifierSpec
from benchlab.plugins.verifiers.extraction.extraction import ExtractionVerifier
from benchlab.plugins.verifiers.extraction.extraction_fields import normalise_text
from benchlab.verifiers import ParamError, VerifyContext

VERIFIER = ExtractionVerifier()
CTX = VerifyContext(scenario=Scenario(id="E", messages=[{"role": "user", "content": "x"}], verifier=VerifierSpec("extraction")))


def judge(params: dict[str, Any], answer: Any) -> Verdict:
    parsed = VERIFIER.parse_params(params)
    content = answer if isinstance(answer, str) else json.dumps(answer, ensure_ascii=False)
    return VERIFIER.verify(parsed, ChatResponse(content=content), CTX)


def failed(verdict: Verdict) -> set[str]:
    return {c.name for c in verdict.checks if not c.ok}


def detail(verdict: Verdict, name: str) -> str:
    return next(c.detail for c in verdict.checks if c.name == name)


INVOICE = {"invoice": {"number": "INV-2024-0042", "total": 1284.5}}


# --- numbers ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("total", [1284.5, 1284.50, "1284.5", "1,284.50", "$1,284.50", "£1,284.50", "1284.50 EUR", "EUR 1,284.50"])
def test_number_forms_that_pass(total: Any) -> None:
    verdict = judge({"expected": INVOICE}, {"invoice": {"number": "INV-2024-0042", "total": total}})
    assert verdict.passed, verdict.detail


@pytest.mark.parametrize("total", [1248.5, "1284.5 dollars", "about 1284.5", "1.284,50", True, None, [1284.5]])
def test_number_forms_that_fail(total: Any) -> None:
    verdict = judge({"expected": INVOICE}, {"invoice": {"number": "INV-2024-0042", "total": total}})
    assert not verdict.passed and failed(verdict) == {"fields.invoice.total"}


def test_a_wrong_number_names_the_field_and_both_values() -> None:
    verdict = judge({"expected": INVOICE}, {"invoice": {"number": "INV-2024-0042", "total": 1248.5}})
    assert detail(verdict, "fields.invoice.total") == "expected 1284.5, got 1248.5"
    assert "fields.invoice.total: expected 1284.5, got 1248.5" in verdict.detail
    assert verdict.score == 0.5 and verdict.failure_mode is FailureMode.WRONG_ANSWER


def test_tolerances_global_and_per_field() -> None:
    expected = {"a": 10.0, "b": 200.0}
    assert judge({"expected": expected, "tolerance": 0.05}, {"a": 10.04, "b": 199.96}).passed
    assert not judge({"expected": expected, "tolerance": 0.05}, {"a": 10.06, "b": 200}).passed
    per_field = {"expected": expected, "fields": {"b": {"tolerance": {"rel": 0.01}}}}
    assert judge(per_field, {"a": 10, "b": 201.9}).passed
    verdict = judge(per_field, {"a": 10.001, "b": 203})
    assert failed(verdict) == {"fields.a", "fields.b"}


@pytest.mark.parametrize(
    ("price", "ok"),
    [
        (3450000, True), ("3450000", True), ("3,450,000", True), ("DKK 3450000", True), ("3450000 DKK", True),
        ("3450000 USD", False), ("USD 3450000", False), ("$3450000", False), ("€3,450,000", False),
        ("3450001 DKK", False),
    ],
)
def test_a_declared_currency_rejects_another_currency_written_with_the_amount(price: Any, ok: bool) -> None:
    params = {"expected": {"asking_price": 3450000}, "fields": {"asking_price": {"currency": "DKK"}}}
    verdict = judge(params, {"asking_price": price})
    assert verdict.passed is ok, verdict.detail
    if not ok and price != "3450001 DKK":
        assert "but the amount is in DKK" in verdict.detail
    # "$" is a dollar: right for USD, wrong for DKK; without ``currency`` nobody checks.
    assert judge({"expected": {"p": 12}, "fields": {"p": {"currency": "usd"}}}, {"p": "$12"}).passed
    assert judge({"expected": {"asking_price": 3450000}}, {"asking_price": price}).passed is (price != "3450001 DKK")


def test_percent_strings_and_units() -> None:
    points = {"expected": {"rate": 12.5}, "fields": {"rate": {"percent": "points"}}}
    assert judge(points, {"rate": "12.5%"}).passed and judge(points, {"rate": 12.5}).passed
    assert not judge(points, {"rate": "1250%"}).passed and not judge(points, {"rate": "0.125%"}).passed
    fraction = {"expected": {"rate": 0.125}, "fields": {"rate": {"percent": "fraction"}}}
    assert judge(fraction, {"rate": "12.5%"}).passed and judge(fraction, {"rate": 0.125}).passed
    assert not judge(fraction, {"rate": "0.125%"}).passed
    # A field that declares no percentage (money, counts): a number with % is wrong.
    assert not judge({"expected": {"rate": 12.5}}, {"rate": "12.5%"}).passed
    verdict = judge({"expected": {"asking_price": 3450000}}, {"asking_price": "345000000%"})
    assert not verdict.passed and "written as a percentage" in verdict.detail
    units = {"expected": {"weight_kg": 2.35}, "fields": {"weight_kg": {"units": ["kg"]}}}
    assert judge(units, {"weight_kg": "2.35 kg"}).passed
    assert judge(units, {"weight_kg": "2.35kg"}).passed
    assert not judge(units, {"weight_kg": "2.35 lb"}).passed
    assert not judge({"expected": {"weight_kg": 2.35}}, {"weight_kg": "2.35 kg"}).passed  # units only when listed


# --- strings -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expected", "actual", "mode", "ok"),
    [
        ("ACME Corp.", "acme corp", "text", True),
        ("Zoë O’Neil", "Zoe O'Neil", "text", True),
        ("  Calder  &  Finch ", "calder & finch", "text", True),
        ("Ｆｕｌｌ width", "full width", "text", True),  # NFKD folds full-width letters
        ("Smith, J.", "smith j", "text", True),
        ("3.5", "35", "text", False),  # punctuation becomes a space, never nothing
        ("Calder & Finch", "Calder and Finch", "text", False),
        ("C++", "C", "text", False),  # symbols are kept
        ("INV-2024-0042", "inv 2024 0042", "id", True),
        ("INV-2024-0042", "INV20240042", "id", True),
        ("INV-2024-0042", "INV-2024-0024", "id", False),
        ("priya.raman@kestrel-bio.com", "Priya.Raman@Kestrel-Bio.com", "casefold", True),
        ("priya.raman@kestrel-bio.com", "priyaraman@kestrel-bio.com", "casefold", False),
        ("Ab", "ab", "exact", False),
        ("Ab", "  Ab ", "exact", True),
    ],
)
def test_string_normalisation(expected: str, actual: str, mode: str, ok: bool) -> None:
    verdict = judge({"expected": {"s": expected}, "strings": mode}, {"s": actual})
    assert verdict.passed is ok, verdict.detail


def test_normalise_text_is_documented_behaviour() -> None:
    assert normalise_text("  Zoë’s  Café, Ltd. ", "text") == "zoe s cafe ltd"
    assert normalise_text("GB 284-1937/55", "id") == "gb284193755"


def test_a_json_number_matches_a_string_field_by_its_text() -> None:
    assert judge({"expected": {"postcode": "10115"}}, {"postcode": 10115}).passed
    assert not judge({"expected": {"code": "0412"}, "strings": "id"}, {"code": 412}).passed
    assert not judge({"expected": {"postcode": "10115"}, "strings": "exact"}, {"postcode": 10115}).passed


def test_accept_lists_other_right_values() -> None:
    params = {"expected": {"law": "Norway"}, "fields": {"law": {"accept": ["Norwegian law"]}}}
    assert judge(params, {"law": "norwegian law"}).passed
    verdict = judge(params, {"law": "Sweden"})
    assert not verdict.passed and detail(verdict, "fields.law") == "expected 'Norway', got 'Sweden'"


# --- dates, datetimes, booleans --------------------------------------------------------------------


def test_dates_in_the_stated_formats() -> None:
    params = {"expected": {"d": "2024-09-11"}, "fields": {"d": {"type": "date", "formats": ["iso", "%d/%m/%Y"]}}}
    assert judge(params, {"d": "2024-09-11"}).passed
    assert judge(params, {"d": "11/09/2024"}).passed
    assert not judge(params, {"d": "09/11/2024"}).passed  # read day-first: 9 November
    assert not judge(params, {"d": "September 11, 2024"}).passed  # not a stated format
    iso_only = {"expected": {"d": "2024-09-11"}, "fields": {"d": {"type": "date"}}}
    assert not judge(iso_only, {"d": "11/09/2024"}).passed
    assert not judge(iso_only, {"d": "2024-9-11"}).passed
    verdict = judge(iso_only, {"d": "2024-09-12"})
    assert detail(verdict, "fields.d") == "expected '2024-09-11', got '2024-09-12'"
    words = {"expected": {"d": "2024-09-11"}, "date_formats": ["%B %d, %Y"], "fields": {"d": {"type": "date"}}}
    assert judge(words, {"d": "September 11, 2024"}).passed


def test_datetimes_compare_instants_when_an_offset_is_expected() -> None:
    aware = {"expected": {"t": "2024-05-14T16:42:10+02:00"}, "fields": {"t": {"type": "datetime"}}}
    assert judge(aware, {"t": "2024-05-14T14:42:10Z"}).passed
    assert judge(aware, {"t": "2024-05-14 16:42:10+02:00"}).passed
    verdict = judge(aware, {"t": "2024-05-14T16:42:10"})
    assert not verdict.passed and "no UTC offset given" in verdict.detail
    assert not judge(aware, {"t": "2024-05-14T16:42:10+00:00"}).passed
    naive = {"expected": {"t": "2024-05-20T10:30"}, "fields": {"t": {"type": "datetime"}}}
    assert judge(naive, {"t": "2024-05-20T10:30:00"}).passed
    assert judge(naive, {"t": "2024-05-20T10:30+02:00"}).passed  # the offset is ignored when none is expected
    assert not judge(naive, {"t": "2024-05-20T10:31"}).passed


def test_booleans() -> None:
    params = {"expected": {"b": True}}
    assert judge(params, {"b": True}).passed
    assert judge(params, {"b": "TRUE"}).passed
    assert not judge(params, {"b": "yes"}).passed
    assert not judge(params, {"b": 1}).passed
    assert not judge({"expected": {"b": False}}, {"b": True}).passed


# --- nulls and missing keys ------------------------------------------------------------------------


def test_null_expected_is_met_by_null_or_absence() -> None:
    params = {"expected": {"a": 1, "po": None}}
    assert judge(params, {"a": 1, "po": None}).passed
    assert judge(params, {"a": 1}).passed
    verdict = judge(params, {"a": 1, "po": "PO-1"})
    assert not verdict.passed and detail(verdict, "fields.po") == "expected null (not in the document), got 'PO-1'"
    assert not judge(params, {"a": 1, "po": ""}).passed
    assert not judge({**params, "absent_as_null": False}, {"a": 1}).passed
    assert judge({**params, "null_strings": ["N/A", "none"]}, {"a": 1, "po": "n/a"}).passed


def test_null_or_missing_for_a_known_value_fails_as_such() -> None:
    params = {"expected": {"a": 1, "b": 2}}
    verdict = judge(params, {"a": 1, "b": None})
    assert detail(verdict, "fields.b") == "expected 2, got null" and verdict.failure_mode is FailureMode.WRONG_ANSWER
    verdict = judge(params, {"a": 1})
    assert detail(verdict, "fields.b") == "missing (expected 2)" and verdict.failure_mode is FailureMode.MISSING_FIELD


# --- lists and objects ------------------------------------------------------------------------------


def test_lists_are_order_insensitive_unless_told() -> None:
    params = {"expected": {"tags": ["urgent", "paper", "q3"]}}
    assert judge(params, {"tags": ["Q3", "urgent", "paper"]}).passed
    ordered = {**params, "ordered": True}
    verdict = judge(ordered, {"tags": ["Q3", "urgent", "paper"]})
    assert failed(verdict) == {"fields.tags[0]", "fields.tags[1]", "fields.tags[2]"}
    assert judge({**params, "fields": {"tags": {"ordered": True}}}, {"tags": ["urgent", "paper", "q3"]}).passed


def test_missing_and_extra_list_items() -> None:
    params = {"expected": {"tags": ["urgent", "paper"]}}
    verdict = judge(params, {"tags": ["urgent"]})
    assert failed(verdict) == {"fields.tags[1]"} and verdict.failure_mode is FailureMode.MISSING_FIELD
    verdict = judge(params, {"tags": ["urgent", "paper", "toner"]})
    assert failed(verdict) == {"fields.tags.extra_items"}
    assert "1 unexpected item(s): [\"toner\"]" in verdict.detail
    assert verdict.score == pytest.approx(2 / 3)


def test_list_items_that_are_objects_pair_by_best_match() -> None:
    params = {"expected": {"items": [{"sku": "A1", "qty": 2}, {"sku": "B2", "qty": 1}]}}
    assert judge(params, {"items": [{"qty": 1, "sku": "B2"}, {"sku": "A1", "qty": "2"}]}).passed
    verdict = judge(params, {"items": [{"sku": "B2", "qty": 3}, {"sku": "A1", "qty": 2}]})
    assert failed(verdict) == {"fields.items[1].qty"}  # named after the expected item
    assert detail(verdict, "fields.items[1].qty") == "expected 1, got 3"


def test_empty_containers_are_one_field() -> None:
    params = {"expected": {"notes": [], "meta": {}}}
    assert judge(params, {"notes": [], "meta": {}}).passed
    verdict = judge(params, {"notes": ["x"], "meta": {}})
    assert failed(verdict) == {"fields.notes"}
    assert not judge(params, {"notes": {}, "meta": {}}).passed


def test_nested_paths_and_wrong_container_types() -> None:
    params = {"expected": {"a": {"b": {"c": 1, "d": "x"}}}}
    verdict = judge(params, {"a": {"b": "flat"}})
    assert failed(verdict) == {"fields.a.b.c", "fields.a.b.d"}
    assert "expected an object at a.b" in verdict.detail


def test_extra_fields_allowed_by_default_or_forbidden() -> None:
    params = {"expected": {"a": 1, "items": [{"k": 1}]}}
    answer = {"a": 1, "note": "extra", "items": [{"k": 1, "z": 0}]}
    assert judge(params, answer).passed
    verdict = judge({**params, "extra_fields": "forbid"}, answer)
    assert failed(verdict) == {"extra_fields"}
    assert detail(verdict, "extra_fields") == "unexpected: items[0].z, note"
    assert verdict.score == pytest.approx(2 / 3)


# --- score, threshold, extraction ----------------------------------------------------------------------


def test_score_is_the_fraction_of_right_fields_and_threshold_decides() -> None:
    expected = {"a": 1, "b": 2, "c": 3, "d": 4}
    verdict = judge({"expected": expected}, {"a": 1, "b": 2, "c": 3, "d": 5})
    assert verdict.score == 0.75 and not verdict.passed
    verdict = judge({"expected": expected, "threshold": 0.75}, {"a": 1, "b": 2, "c": 3, "d": 5})
    assert verdict.passed and verdict.failure_mode is None and "fields.d" in verdict.detail
    assert not judge({"expected": expected, "threshold": 0.8}, {"a": 1, "b": 2, "c": 3, "d": 5}).passed


@pytest.mark.parametrize(
    "content",
    [
        '```json\n{"a": 1}\n```',
        'Here is the data:\n\n```json\n{"a": 1}\n```\n\nAnything else?',
        'Here is the data: {"a": 1}. Done.',
        '{"a": 1} and again {"a": 1}',
        '<think>maybe {"a": 2}</think>{"a": 1}',
    ],
)
def test_where_the_json_may_sit(content: str) -> None:
    assert judge({"expected": {"a": 1}}, content).passed


@pytest.mark.parametrize(
    ("content", "check", "mode"),
    [
        ("", "extract", FailureMode.INVALID_JSON),
        ("no json here", "parse", FailureMode.INVALID_JSON),
        ('{"a": 1,}', "parse", FailureMode.INVALID_JSON),
        ('{"a": NaN}', "parse", FailureMode.INVALID_JSON),
        ('{"a": 1, "a": 2}', "parse", FailureMode.INVALID_JSON),
        ('Either {"a": 1} or {"a": 2}', "parse", FailureMode.INVALID_JSON),
        ("[1, 2]", "root_type", FailureMode.SCHEMA_VIOLATION),
        ('"just a string"', "root_type", FailureMode.SCHEMA_VIOLATION),
        ('```json\n{"a": 1}\n```\n```json\n{"a": 1}\n```', "extract", FailureMode.INVALID_JSON),
    ],
)
def test_no_usable_json_object(content: str, check: str, mode: FailureMode) -> None:
    verdict = judge({"expected": {"a": 1}}, content)
    assert not verdict.passed and verdict.score == 0.0 and verdict.failure_mode is mode
    assert check in failed(verdict)


def test_strict_requires_only_the_json() -> None:
    params = {"expected": {"a": 1}, "strict": True}
    assert judge(params, '{"a": 1}').passed
    assert judge(params, '```json\n{"a": 1}\n```').passed
    verdict = judge(params, 'Here: {"a": 1}')
    assert not verdict.passed and failed(verdict) == {"extract"}


# --- validation and robustness --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "expected"),
        ({"expected": {}}, "expected"),
        ({"expected": [1]}, "expected"),
        ({"expected": {"a.b": 1}}, "expected.a.b"),
        ({"expected": {"a": [{"x[0]": 1}]}}, "expected.a[0].x[0]"),
        ({"expected": {"a": float("inf")}}, "expected.a"),
        ({"expected": {"a": 1}, "tolerance": -1}, "tolerance"),
        ({"expected": {"a": 1}, "strings": "fuzzy"}, "strings"),
        ({"expected": {"a": 1}, "threshold": 0}, "threshold"),
        ({"expected": {"a": 1}, "threshold": 1.5}, "threshold"),
        ({"expected": {"a": 1}, "extra_fields": "ignore"}, "extra_fields"),
        ({"expected": {"a": 1}, "null_strings": ["", "n/a"]}, "null_strings"),
        ({"expected": {"a": 1}, "date_formats": ["YYYY-MM-DD"]}, "date_formats"),
        ({"expected": {"a": 1}, "fields": {"b": {"tolerance": 1}}}, "fields.b"),
        ({"expected": {"a": 1}, "fields": {"a": {}}}, "fields.a"),
        ({"expected": {"a": 1}, "fields": {"a": {"fuzzy": True}}}, "fields.a.fuzzy"),
        ({"expected": {"a": "x"}, "fields": {"a": {"tolerance": 1}}}, "fields.a.tolerance"),
        ({"expected": {"a": 1}, "fields": {"a": {"strings": "id"}}}, "fields.a.strings"),
        ({"expected": {"a": "x"}, "fields": {"a": {"strings": "loose"}}}, "fields.a.strings"),
        ({"expected": {"a": "7 March"}, "fields": {"a": {"type": "date"}}}, "fields.a.type"),
        ({"expected": {"a": "2024-03-07"}, "fields": {"a": {"type": "when"}}}, "fields.a.type"),
        ({"expected": {"a": "x"}, "fields": {"a": {"type": "number"}}}, "fields.a.type"),
        ({"expected": {"a": "2024-03-07"}, "fields": {"a": {"formats": ["%d/%m/%Y"]}}}, "fields.a.formats"),
        ({"expected": {"a": [1]}, "fields": {"a": {"ordered": "yes"}}}, "fields.a.ordered"),
        ({"expected": {"a": "x"}, "fields": {"a": {"percent": "points"}}}, "fields.a.percent"),
        ({"expected": {"a": 1}, "fields": {"a": {"percent": "pct"}}}, "fields.a.percent"),
        ({"expected": {"a": 1}, "fields": {"a": {"ordered": True}}}, "fields.a.ordered"),
        ({"expected": {"a": "x"}, "fields": {"a": {"accept": "y"}}}, "fields.a.accept"),
        ({"expected": {"a": "x"}, "fields": {"a": {"units": ["kg"]}}}, "fields.a.units"),
        ({"expected": {"a": 1}, "fields": {"a": {"units": []}}}, "fields.a.units"),
        ({"expected": {"a": "x"}, "fields": {"a": {"currency": "EUR"}}}, "fields.a.currency"),
        ({"expected": {"a": 1}, "fields": {"a": {"currency": "euro"}}}, "fields.a.currency"),
        ({"expected": {"a": 1}, "unknown": 1}, "unknown"),
    ],
)
def test_malformed_params_are_rejected(params: dict[str, Any], field: str) -> None:
    with pytest.raises(ParamError) as raised:
        VERIFIER.validate(params)
    assert raised.value.field == field


PARAMS = {
    "expected": {"n": 1.5, "s": "Abc-1", "d": "2024-01-02", "t": "2024-01-02T03:04+01:00", "b": True, "z": None,
                 "l": ["x", 2], "o": [{"k": "v", "q": 1}], "e": []},
    "fields": {"d": {"type": "date", "formats": ["iso", "%d/%m/%Y"]}, "t": {"type": "datetime"}, "s": {"strings": "id"}},
    "tolerance": {"rel": 0.01}, "null_strings": ["none"], "extra_fields": "forbid",
}
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(list("nsdtbzloekq")) | st.text(max_size=5), inner, max_size=6),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(answer=json_values)
def test_any_json_answer_gets_a_verdict_never_an_exception(answer: Any) -> None:
    _assert_sane(VERIFIER.verify(VERIFIER.parse_params(PARAMS), ChatResponse(content=json.dumps(answer)), CTX))


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=300) | st.text(alphabet=st.sampled_from(list('{}[]":,0123456789.-abcnultre \n`')), max_size=300))
def test_any_text_gets_a_verdict_never_an_exception(text: str) -> None:
    _assert_sane(VERIFIER.verify(VERIFIER.parse_params(PARAMS), ChatResponse(content=text), CTX))


def _assert_sane(verdict: Verdict) -> None:
    assert isinstance(verdict, Verdict) and 0.0 <= verdict.score <= 1.0
    if not verdict.passed:
        assert verdict.failure_mode is not None and verdict.failure_mode.category == "content"


def test_the_gold_answer_of_the_sane_params_passes() -> None:
    """Keeps the property tests honest: PARAMS is satisfiable, so a verdict is not failure by construction."""
    answer = {"n": "1.51", "s": "abc 1", "d": "02/01/2024", "t": "2024-01-02T02:04Z", "b": "true", "z": "none",
              "l": [2, "X"], "o": [{"q": 1, "k": "V"}], "e": []}
    assert judge(PARAMS, answer).passed


@pytest.mark.parametrize("token", ["{", '{"a":', "[", '{"a": [', "{}", '"', "```json\n"])
def test_pathological_answers_are_judged_quickly(token: str) -> None:
    text = token * (100_000 // len(token) if not token.startswith("```") else 4_000)
    started = time.perf_counter()
    verdict = VERIFIER.verify(VERIFIER.parse_params(PARAMS), ChatResponse(content=text), CTX)
    assert isinstance(verdict, Verdict) and not verdict.passed
    assert time.perf_counter() - started < 5.0


def test_a_long_answer_list_is_judged_quickly() -> None:
    params = {"expected": {"items": [{"sku": f"S{i}", "qty": i} for i in range(10)]}}
    answer = {"items": [{"sku": f"X{i}", "qty": i} for i in range(5000)]}
    started = time.perf_counter()
    verdict = judge(params, answer)
    assert not verdict.passed and "fields.items.extra_items" in failed(verdict)
    assert time.perf_counter() - started < 5.0


@pytest.mark.parametrize("depth", [*range(400, 1000, 7), 1500, 5000])
def test_deeply_nested_json_is_judged_not_raised(depth: int) -> None:
    deep = "{\"o\": " + "[" * depth + "]" * depth + "}"
    for text in (f"x {deep} y {{\"z\": 1}}", deep, "{\"o\": " + "[{\"k\": " * depth + "1" + "}]" * depth + "}"):
        _assert_sane(VERIFIER.verify(VERIFIER.parse_params(PARAMS), ChatResponse(content=text), CTX))
