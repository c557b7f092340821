"""The ``instructions`` verifier: each rule passes and fails, the counting definitions
(words, sentences, paragraphs, list items, sections, placeholders, language) hold on the
cases that decide real answers, params are validated, and no output makes it raise."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchlab.model import ChatResponse, FailureMode, Scenario, VerifierSpec, Verdict
from benchlab.plugins.verifiers.instructions import text_measures as tm
from benchlab.plugins.verifiers.instructions.instruction_params import RULE_PARAMS
from benchlab.plugins.verifiers.instructions.instructions import InstructionsVerifier
from benchlab.verifiers import ParamError, VerifyContext

VERIFIER = InstructionsVerifier()
CTX = VerifyContext(scenario=Scenario(id="T", messages=[{"role": "user", "content": "x"}], verifier=VerifierSpec("instructions")))


def judge(rules: list[dict[str, Any]], text: str) -> Verdict:
    params = {"rules": rules}
    VERIFIER.validate(params)
    return VERIFIER.verify(VERIFIER.parse_params(params), ChatResponse(content=text), CTX)


def passes(rule: dict[str, Any], text: str) -> bool:
    return judge([rule], text).passed


# --- each rule: a passing and a failing answer -------------------------------------------------

CASES = [
    ({"rule": "word_count", "min": 3, "max": 4}, "one two three", "one two three four five"),
    ({"rule": "word_count", "exact": 5, "tolerance": 1}, "a b c d e f", "a b c"),
    ({"rule": "sentence_count", "exact": 2}, "It rains. We stay in.", "It rains. We stay in. We read."),
    ({"rule": "paragraph_count", "min": 2}, "First.\n\nSecond.", "First.\nStill first."),
    ({"rule": "line_count", "exact": 2}, "a\n\nb\n", "a\nb\nc"),
    ({"rule": "char_count", "max": 10}, "  short  ", "far too long here"),
    ({"rule": "lowercase"}, "all small, 42 times.", "One capital"),
    ({"rule": "uppercase"}, "ALL LOUD, 42 TIMES!", "ALMOST aLL"),
    ({"rule": "title_case"}, "The Lord of the Rings", "The lord of the Rings"),
    ({"rule": "required_phrases", "phrases": ["net profit", "2025"]}, "Net  profit rose in 2025.", "Profit rose in 2025."),
    ({"rule": "forbidden_phrases", "phrases": ["just", "simply"]}, "Adjust it, justly.", "It just works."),
    ({"rule": "phrase_count", "phrase": "base case", "min": 2}, "A base case. Another Base Case.", "One base case only."),
    ({"rule": "starts_with", "starts_with": "In short"}, "**In short**, yes.", "Briefly, in short."),
    ({"rule": "starts_with", "starts_with": "in short", "ignore_case": True}, "In short: yes.", "Short: yes."),
    ({"rule": "ends_with", "ends_with": "Stay hydrated."}, "Drink. Stay hydrated.\n", "Drink. Stay hydrated!"),
    ({"rule": "bullet_count", "exact": 2}, "- a\n* b", "- a\n- b\n- c"),
    ({"rule": "bullet_count", "exact": 2, "style": "ordered"}, "1. a\n2) b", "- a\n- b"),
    ({"rule": "bullet_count", "min": 1, "max_words": 3}, "- one two three", "- one two three four"),
    ({"rule": "header_count", "exact": 2, "level": 2}, "# T\n## A\n## B", "## A\n### B"),
    ({"rule": "sections", "names": ["Summary", "Risks"]}, "## Summary\nok\n**Risks:**\nnone", "## Risks\nnone\n## Summary\nok"),
    ({"rule": "sections", "names": ["Summary", "Risks"], "ordered": False}, "Risks: none\nSummary: ok", "Summary: ok"),
    ({"rule": "sections", "names": ["Summary", "Risks"], "min_words": 2}, "## Summary\nAll on track.\nRisks: vendor late", "## Summary\n\n## Risks\nVendor late."),
    ({"rule": "bullet_count", "exact": 2, "min_words": 3}, "- Added dark mode\n- Fixed login loop", "- Added x\n- Fixed login loop"),
    ({"rule": "topic", "terms": ["recurs*", "stack", "base case"], "min": 2}, "A recursive call needs a Base Case.", "Recurse: a stackless loop."),
    ({"rule": "placeholders", "exact": 2}, "Dear [Name], see [link](http://x) on [Date].", "Dear [Name]."),
    ({"rule": "no_commas"}, "No commas here.", "One, comma."),
    ({"rule": "language", "lang": "fr"}, "Nous sommes très heureux que le colis soit arrivé.", "We are very happy that the parcel arrived."),
    ({"rule": "json", "type": "object", "fields": {"a": 1}}, '```json\n{"a": 1}\n```', '{"a": 2}'),
    ({"rule": "json", "fence": False}, "[1, 2]", "```json\n[1, 2]\n```"),
    ({"rule": "json", "extra_keys": False, "fields": {"a": {"present": True}}}, '{"a": null}', '{"a": 1, "b": 2}'),
    ({"rule": "quoted"}, "\u201cHello there.\u201d", "Hello \"there\""),
    ({"rule": "max_line_length", "max": 10}, "short\nlines  ", "a line longer than ten"),
    ({"rule": "regex", "pattern": "#\\w+", "exact": 2}, "#a and #b", "#a"),
    ({"rule": "regex", "pattern": "!", "max": 0}, "Calm.", "Wow!"),
    ({"rule": "regex", "pattern": "^ok$", "flags": "m"}, "x\nok\ny", "x ok y"),
]


@pytest.mark.parametrize(("rule", "good", "bad"), CASES, ids=[f"{c[0]['rule']}-{i}" for i, c in enumerate(CASES)])
def test_each_rule_passes_the_right_answer_and_fails_the_wrong_one(rule: dict[str, Any], good: str, bad: str) -> None:
    assert passes(rule, good), judge([rule], good).detail
    verdict = judge([rule], bad)
    assert not verdict.passed
    assert verdict.checks[0].detail


@pytest.mark.parametrize(("text", "fenced"), [
    ('```json\n{"a": 1}\n```', True),
    ('~~~\n{"a": 1}\n~~~', True),  # tildes, untagged: a fence like any other verifier's
    ('````JSON\n{"a": 1}\n````', True),  # four backticks, the tag in capitals
    ('```python\n{"a": 1}\n```', False),  # another language's block is not the JSON
    ('Here:\n```json\n{"a": 1}\n```', False),  # prose around it: not the whole answer
    ('```json\n{"a": 1}', False),  # never closed
])
def test_the_json_rule_reads_a_fence_as_the_one_fence_parser_does(text: str, fenced: bool) -> None:
    rule = {"rule": "json", "type": "object", "fields": {"a": 1}}
    assert passes(rule, text) is fenced, judge([rule], text).detail
    assert not passes({**rule, "fence": False}, text)


def test_every_rule_kind_is_covered_by_a_case() -> None:
    assert {c[0]["rule"] for c in CASES} == set(RULE_PARAMS)


# --- definitions --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("don't e.g. 3.5 well-known U.S.", 5),
        ("**Bold** _italic_ `code` [link text](http://example.com/a/b)", 5),
        ("## Header\n\n- item one\n1. item two\n> quoted words", 7),
        ("this\u2014that \u2013 other", 3),
        ("a - b & c", 3),
        ("snake_case stays one", 3),
        ("| a | b |\n|---|---|\n| c | d |", 4),
    ],
)
def test_word_definition(text: str, count: int) -> None:
    assert len(tm.words(text)) == count, tm.words(text)


def _words_as_defined(text: str) -> tuple[str, list[str]]:
    """The definition of a word spelled out plainly (split on whitespace and dashes, keep the
    tokens holding a letter or digit), with emphasis stripped by the plain pattern of
    ``*``/`` ` `` runs, ``~~`` and ``_`` runs at a word's edge: what ``tm.words`` computes faster."""
    import re

    emphasis = re.compile(r"(\*+|~~|`+|(?<![\w])_+|_+(?![\w]))")
    original = tm._EMPHASIS
    tm._EMPHASIS = emphasis
    try:
        stripped = tm.strip_markdown(text)
    finally:
        tm._EMPHASIS = original
    return stripped, [t for t in re.split(r"[\s\u2014\u2013]+", stripped) if re.search(r"[^\W_]", t)]


word_texts = st.text(alphabet=st.sampled_from(list("ab_X1 \t\n*~`-.\u2014\u2013\u00e9\u0663\u00a0[]()!#>|")), max_size=200)


@settings(max_examples=500, deadline=None)
@given(text=word_texts | st.text(max_size=200))
def test_words_follow_the_definition(text: str) -> None:
    stripped, words = _words_as_defined(text)
    assert tm.strip_markdown(text) == stripped
    assert tm.words(text) == words


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("Use a fruit, e.g. an apple. Or i.e. a pear.", 2),
        ("It costs $3.50 today. Version 2.4.0 ships.", 2),
        ("We met Dr. Smith and Mrs. Jones. They left.", 2),
        ("Apples, pears, etc. are fine. Bring snacks etc. Then go.", 3),
        ("He lives in the U.S. and works at 5 p.m. daily. He moved to the U.S. Then he left.", 3),
        ("Really?! Yes. \"Quoted.\" (Bracketed.) Done", 5),
        ("Wait... it is fine. Wait... Then go.", 3),
        ("# Title\nA line without a stop\n\n- item one\n- item two", 4),
        ("a soft\nwrapped sentence. and a lowercase one.", 2),
        ("Est-ce que vous aimez ? Oui !", 2),
    ],
)
def test_sentence_definition(text: str, count: int) -> None:
    assert len(tm.sentences(text)) == count, tm.sentences(text)


def test_paragraph_definition() -> None:
    assert len(tm.paragraphs("one\ntwo\n\n  \nthree\n***\nfour\n\n---\n")) == 3
    assert len(tm.paragraphs("```\ncode\n\nmore code\n```")) == 1


def test_list_items_ignore_rules_bold_lines_and_code() -> None:
    text = "---\n* * *\n**Bold** line\n-5 degrees\n```\n- not an item\n```\n  - nested item\n10) tenth"
    assert tm.bullets(text) == [("unordered", "nested item"), ("ordered", "tenth")]


def test_section_titles_from_headers_bold_lines_and_labels() -> None:
    text = "## 1. Summary\ntext\n**Risks**\nmore\nNext steps: do it\n__Owner:__ me"
    assert tm.section_titles(text) == ["summary", "risks", "next steps", "owner"]


def test_placeholders_exclude_links_images_task_boxes_and_citations() -> None:
    text = "- [ ] task [Owner]\n![alt](x.png) [site](http://x) [1] [Due Date] [[nested]]"
    assert tm.placeholders(text) == ["Owner", "Due Date", "nested"]


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("en", "The weather is nice today and we will go for a walk in the park."),
        ("fr", "Le temps est beau aujourd'hui et nous allons nous promener dans le parc."),
        ("es", "El tiempo es bueno hoy y vamos a dar un paseo por el parque con los niños."),
        ("de", "Das Wetter ist heute schön und wir gehen mit den Kindern im Park spazieren."),
        ("it", "Il tempo è bello oggi e andiamo a fare una passeggiata nel parco con i bambini."),
        ("pt", "O tempo está bom hoje e vamos dar um passeio no parque com as crianças."),
    ],
)
def test_language_heuristic_tells_the_six_languages_apart(lang: str, text: str) -> None:
    for other in tm.STOPWORDS:
        assert passes({"rule": "language", "lang": other}, text) == (other == lang), (other, tm.language_scores(text))


def test_language_needs_words() -> None:
    assert not passes({"rule": "language", "lang": "en"}, "12345 !!!")


# --- the verifier -------------------------------------------------------------------------------


def test_each_rule_is_a_named_check_and_repeats_are_numbered() -> None:
    rules = [{"rule": "no_commas"}, {"rule": "regex", "pattern": "a"}, {"rule": "regex", "pattern": "b"}, {"rule": "regex", "name": "has_c", "pattern": "c"}]
    verdict = judge(rules, "a, b")
    assert [c.name for c in verdict.checks] == ["no_commas", "regex", "regex#2", "has_c"]
    assert [c.ok for c in verdict.checks] == [False, True, True, False]
    assert verdict.score == 0.5
    assert verdict.failure_mode is FailureMode.WRONG_ANSWER


def test_reasoning_is_not_judged() -> None:
    assert passes({"rule": "lowercase"}, "<think>Thinking With Capitals</think>all lowercase")


def test_unparsable_json_is_invalid_json() -> None:
    assert judge([{"rule": "json"}], "Here: {").failure_mode is FailureMode.INVALID_JSON
    assert judge([{"rule": "json", "fields": {"a": 1}}], '{"a": 2}').failure_mode is FailureMode.WRONG_ANSWER


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "rules"),
        ({"rules": []}, "rules"),
        ({"rules": ["word_count"]}, "rules[0]"),
        ({"rules": [{"rule": "wordcount", "max": 3}]}, "rules[0].rule"),
        ({"rules": [{"rule": "word_count"}]}, "rules[0]"),
        ({"rules": [{"rule": "word_count", "max": -1}]}, "rules[0].max"),
        ({"rules": [{"rule": "word_count", "max": 2.5}]}, "rules[0].max"),
        ({"rules": [{"rule": "word_count", "min": 5, "max": 3}]}, "rules[0].min"),
        ({"rules": [{"rule": "word_count", "exact": 5, "max": 3}]}, "rules[0].exact"),
        ({"rules": [{"rule": "word_count", "max": 5, "tolerance": 1}]}, "rules[0].tolerance"),
        ({"rules": [{"rule": "word_count", "max": 5, "maximum": 6}]}, "rules[0].maximum"),
        ({"rules": [{"rule": "lowercase", "strict": True}]}, "rules[0].strict"),
        ({"rules": [{"rule": "required_phrases"}]}, "rules[0].phrases"),
        ({"rules": [{"rule": "required_phrases", "phrases": ["ok", ""]}]}, "rules[0].phrases"),
        ({"rules": [{"rule": "forbidden_phrases", "phrases": "just"}]}, "rules[0].phrases"),
        ({"rules": [{"rule": "starts_with", "starts_with": 3}]}, "rules[0].starts_with"),
        ({"rules": [{"rule": "bullet_count", "exact": 3, "style": "dashes"}]}, "rules[0].style"),
        ({"rules": [{"rule": "header_count", "min": 1, "level": 7}]}, "rules[0].level"),
        ({"rules": [{"rule": "sections", "names": []}]}, "rules[0].names"),
        ({"rules": [{"rule": "language", "lang": "nl"}]}, "rules[0].lang"),
        ({"rules": [{"rule": "json", "type": "string"}]}, "rules[0].type"),
        ({"rules": [{"rule": "json", "fields": {"a": {"regex": "("}}}]}, "rules[0].fields.a.regex"),
        ({"rules": [{"rule": "max_line_length", "max": 0}]}, "rules[0].max"),
        ({"rules": [{"rule": "regex", "pattern": "("}]}, "rules[0].pattern"),
        ({"rules": [{"rule": "regex", "pattern": "a", "flags": "x"}]}, "rules[0].flags"),
        ({"rules": [{"rule": "no_commas", "name": "x"}, {"rule": "lowercase", "name": "x"}]}, "rules"),
        ({"rules": [{"rule": "no_commas"}], "strict": True}, "strict"),
    ],
)
def test_malformed_params_are_rejected_naming_the_field(params: dict[str, Any], field: str) -> None:
    with pytest.raises(ParamError) as err:
        VERIFIER.validate(params)
    assert err.value.field == field


EVERY_RULE = [
    {"rule": "word_count", "max": 50}, {"rule": "sentence_count", "min": 1}, {"rule": "paragraph_count", "exact": 1},
    {"rule": "line_count", "max": 3}, {"rule": "char_count", "min": 1}, {"rule": "lowercase"}, {"rule": "uppercase"},
    {"rule": "title_case"}, {"rule": "required_phrases", "phrases": ["a b"]}, {"rule": "forbidden_phrases", "phrases": ["x!"]},
    {"rule": "phrase_count", "phrase": "(", "max": 2}, {"rule": "starts_with", "starts_with": "*"}, {"rule": "ends_with", "ends_with": "]"},
    {"rule": "bullet_count", "min": 0, "max_words": 2}, {"rule": "header_count", "max": 1}, {"rule": "sections", "names": ["A", "B"]},
    {"rule": "placeholders", "max": 1}, {"rule": "no_commas"}, {"rule": "language", "lang": "de"},
    {"rule": "json", "type": "object", "fields": {"a": {"items": [{"every": {"type": "number"}}], "extra": True}}},
    {"rule": "quoted"}, {"rule": "max_line_length", "max": 5}, {"rule": "regex", "pattern": "\\w+", "min": 2},
    {"rule": "topic", "terms": ["a*", "b c", "\u00e9*"], "min": 2}, {"rule": "sections", "names": ["A"], "min_words": 1},
    {"rule": "bullet_count", "min": 1, "min_words": 2},
]
markdownish = st.text(alphabet=st.sampled_from(list("abcXYZ 019.,!?:;-*_#>[]()`\"'{}\n\u2014\u00e9\u00df")), max_size=300)


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=300) | markdownish)
def test_any_text_gets_a_verdict_never_an_exception(text: str) -> None:
    verdict = VERIFIER.verify(VERIFIER.parse_params({"rules": EVERY_RULE}), ChatResponse(content=text), CTX)
    assert isinstance(verdict, Verdict)
    assert len(verdict.checks) == len(EVERY_RULE)
    assert 0.0 <= verdict.score <= 1.0


@pytest.mark.parametrize("token", ["[", "](", "[a](", "![", "**", "_", "`", "# ", "- ", "1. ", "a:", "e.g. ", "U.S.", "...", "```\n", "[1,", '{"a":', "-", "=", "_a", "~"])
def test_pathological_markdown_is_judged_in_linear_time(token: str) -> None:
    """100,000 characters of one markdown-significant token: a quadratic pattern takes
    minutes here (``[`` repeated took 181 s before the link pattern was bounded)."""
    import time

    text = token * (100_000 // len(token))
    started = time.perf_counter()
    verdict = VERIFIER.verify(VERIFIER.parse_params({"rules": EVERY_RULE}), ChatResponse(content=text), CTX)
    assert isinstance(verdict, Verdict)
    assert time.perf_counter() - started < 5.0
