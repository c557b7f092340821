"""Typed verifier parameters: a verifier declares an attrs class, the pack loader structures a
scenario's ``verifier`` object into it with a strict copy of the one converter, and every
problem comes back located as ``PATH:LINE: verifier.FIELD.SUB: message``. A verifier of the
older style (``required``/``optional`` dicts) still loads and still receives its dict."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

import attrs
import pytest

from benchlab.codec import converter
from benchlab.errors import PackError
from benchlab.pack_loader import load_pack_folder
from benchlab.plugin_manager import load_plugins
from benchlab.verifier_params import NOT_GIVEN, ParamError, given, param_key, params_converter, register_tagged_union, structure_params
from benchlab.param_checks import between, compiles

from helpers import benchlab, exact_scenario, one_error_line, run_record, write_pack


@attrs.frozen
class Window:
    min: int | None = None
    max: int | None = None

    def __attrs_post_init__(self) -> None:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ParamError("min", "greater than max")


@attrs.frozen(kw_only=True)
class Clause:
    word: str | None = None
    not_: Clause | None = attrs.field(default=None, metadata=param_key("not"))


@attrs.frozen
class Sample:
    name: str
    count: int = 0
    ratio: float = attrs.field(default=0.5, validator=between(0, 1, "a fraction between 0 and 1"))
    pattern: str = attrs.field(default=".", validator=compiles)
    tags: list[str] = attrs.field(factory=list)
    limits: dict[str, int] = attrs.field(factory=dict)
    window: int | Window | None = None
    mode: Literal["fast", "slow"] = "fast"
    clause: Clause | None = None
    expect: Any = NOT_GIVEN


def problems(raw: dict[str, Any], cls: type = Sample) -> list[tuple[str, str]]:
    with pytest.raises(ParamError) as caught:
        structure_params(raw, cls)
    return caught.value.problems


def test_well_typed_params_structure_with_defaults_and_int_for_float() -> None:
    sample = structure_params({"name": "a", "ratio": 1, "tags": ["x"], "window": {"max": 3}, "clause": {"not": {"word": "w"}}}, Sample)
    assert sample == Sample(name="a", ratio=1.0, tags=["x"], window=Window(max=3), clause=Clause(not_=Clause(word="w")))
    assert isinstance(sample.ratio, float) and sample.count == 0
    assert not given(sample.expect) and given(structure_params({"name": "a", "expect": None}, Sample).expect)


@pytest.mark.parametrize(
    ("raw", "field", "words"),
    [
        ({"name": "a", "count": True}, "count", "expected an integer, got a boolean"),
        ({"name": "a", "count": "3"}, "count", "expected an integer, got a string"),
        ({"name": "a", "count": 2.5}, "count", "expected an integer, got a number"),
        ({"name": "a", "ratio": False}, "ratio", "expected a number, got a boolean"),
        ({"name": 7}, "name", "expected a string, got an integer"),
        ({"name": "a", "tags": "xy"}, "tags", "expected a list, got a string"),
        ({"name": "a", "tags": ["x", 1]}, "tags[1]", "expected a string"),
        ({"name": "a", "limits": {"k": "1"}}, "limits.k", "expected an integer"),
        ({"name": "a", "window": "3"}, "window", "expected an integer or an object, got a string"),
        ({"name": "a", "window": {"min": 3, "max": 1}}, "window.min", "greater than max"),
        ({"name": "a", "window": {"least": 1}}, "window.least", "unknown key"),
        ({"name": "a", "mode": "medium"}, "mode", "one of fast, slow"),
        ({"name": "a", "clause": {"not": {"wrd": "x"}}}, "clause.not.wrd", "did you mean 'word'?"),
        ({"name": "a", "ratio": 2}, "ratio", "a fraction between 0 and 1"),
        ({"name": "a", "pattern": "("}, "pattern", "not a valid regular expression"),
        ({}, "name", "required"),
        ({"name": "a", "nmae": 1}, "nmae", "unknown parameter (did you mean 'name'?"),
    ],
)
def test_each_problem_names_its_path(raw: dict[str, Any], field: str, words: str) -> None:
    [(found_field, message)] = problems(raw)
    assert found_field == field and words in message, message


def test_every_type_problem_is_reported_unknown_keys_first() -> None:
    found = problems({"name": 1, "count": "x", "tags": [2], "colour": "red"})
    assert [f for f, _ in found] == ["colour", "name", "count", "tags[0]"]


@attrs.frozen(kw_only=True)
class Shape:
    kind: str


@attrs.frozen(kw_only=True)
class Circle(Shape):
    radius: float


@attrs.frozen(kw_only=True)
class Square(Shape):
    side: float


@attrs.frozen
class Drawing:
    shapes: list[Shape]


register_tagged_union(Shape, "kind", {"circle": Circle, "square": Square})


def test_a_tagged_union_picks_the_variant_its_key_names() -> None:
    drawing = structure_params({"shapes": [{"kind": "circle", "radius": 1}, {"kind": "square", "side": 2}]}, Drawing)
    assert drawing.shapes == [Circle(kind="circle", radius=1.0), Square(kind="square", side=2.0)]
    assert problems({"shapes": [{"kind": "circel"}]}, Drawing) == [
        ("shapes[0].kind", "unknown kind 'circel' (did you mean 'circle'? known: circle, square)")]
    assert problems({"shapes": [{"kind": "square", "radius": 1}]}, Drawing)[0][0] == "shapes[0].radius"


def test_records_keep_the_plain_converter() -> None:
    """Strict hooks live on a copy: run.json and journals load as they always did."""
    assert params_converter is not converter
    assert converter.structure("3", int) == 3  # the plain converter's own (lenient) behaviour, unchanged
    with pytest.raises(Exception):
        params_converter.structure("3", int)


def test_the_pack_loader_reports_every_problem_on_the_scenarios_line(tmp_path: Path) -> None:
    plugins = load_plugins()
    good = exact_scenario("A", "q", "a")
    bad = {"id": "B", "messages": [{"role": "user", "content": "q"}],
           "verifier": {"kind": "tool_call", "calls": [{"name": "f", "args": {"x": {"regex": "("}}, "extra_args": "never"}],
                        "ordered": "yes"}}
    folder = write_pack(tmp_path / "p", [good, bad])
    with pytest.raises(PackError) as caught:
        load_pack_folder(folder, plugins.verifiers, plugins.drivers)
    error = caught.value
    assert (error.line, error.field) == (2, "verifier.calls[0].extra_args")
    assert "verifier.ordered: expected a boolean (true or false), got a string" in error.message
    assert str(error).startswith(f"{folder / 'scenarios.jsonl'}:2: verifier.calls[0].extra_args: one of allow, forbid, schema")


def test_a_loaded_scenario_carries_its_typed_params(tmp_path: Path) -> None:
    plugins = load_plugins()
    folder = write_pack(tmp_path / "p", [{"id": "A", "messages": [{"role": "user", "content": "q"}],
                                           "verifier": {"kind": "numeric", "expected": 3}}])
    [scenario] = load_pack_folder(folder, plugins.verifiers, plugins.drivers).scenarios
    assert scenario.verifier.params == {"expected": 3}  # the pack's own words, as written
    assert type(scenario.verifier.parsed).__name__ == "NumericParams" and scenario.verifier.parsed.expected == 3.0


OLD_STYLE_PLUGIN = '''
from benchlab import hookimpl
from benchlab.api import Check, FailureMode, ParamError, Verdict, Verifier, answer_text


class ShoutVerifier(Verifier):
    """The older style: required/optional dicts and a validate override; verify gets the dict."""

    required = {"word": str}
    optional = {"times": int}

    def validate(self, params):
        super().validate(params)
        if params.get("times", 1) < 1:
            raise ParamError("times", "at least 1")

    def verify(self, params, response, ctx):
        assert isinstance(params, dict)
        wanted = " ".join([params["word"].upper()] * params.get("times", 1))
        ok = answer_text(response) == wanted
        return Verdict.from_checks([Check("shout", ok, "" if ok else "expected " + wanted)], FailureMode.WRONG_ANSWER)


@hookimpl
def register_verifiers(register):
    register("shout", ShoutVerifier, summary="the answer is the word, shouted")
'''


def test_a_verifier_of_the_older_style_still_loads_and_runs(tmp_path: Path) -> None:
    plugin = tmp_path / "shout.py"
    plugin.write_text(OLD_STYLE_PLUGIN)
    scenario = {"id": "S", "messages": [{"role": "user", "content": "shout hi twice"}], "verifier": {"kind": "shout", "word": "hi", "times": 2}}
    folder = write_pack(tmp_path / "shout", [scenario])
    replay = tmp_path / "answers.jsonl"
    replay.write_text(json.dumps({"scenario": "shout/S", "content": "HI HI"}) + "\n")
    out = tmp_path / "out"
    proc = benchlab("--plugin", str(plugin), "run", "--pack", str(folder), "--replay", str(replay), "--out", str(out), "--no-progress")
    assert proc.returncode == 0, proc.stderr
    [result] = run_record(out)["results"]
    assert result["passed"] is True
    bad = {**scenario, "verifier": {"kind": "shout", "word": "hi", "times": 0}}
    write_pack(tmp_path / "shout", [bad])
    line = one_error_line(benchlab("--plugin", str(plugin), "packs", "validate", str(folder)))
    assert line == f"benchlab: error: {folder / 'scenarios.jsonl'}:1: verifier.times: at least 1"
