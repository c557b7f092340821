"""Content rules of the ``instructions`` verifier (``topic``, ``sections.min_words``,
``bullet_count.min_words``) and what they buy instructfollow-15: contentless or off-topic
answers that keep every form constraint fail, while differently worded real answers still
find their topic."""

from __future__ import annotations

from typing import Any

import pytest

from benchlab.model import ChatResponse
from benchlab.pack_loader import resolve_pack
from benchlab.plugin_manager import load_plugins
from benchlab.plugins.verifiers.instructions.instruction_rules import run_rule
from benchlab.plugins.verifiers.instructions.instructions import InstructionsVerifier
from benchlab.verifiers import ParamError, VerifyContext


VERIFIER = InstructionsVerifier()


def parse(rule: dict[str, Any]) -> Any:
    """One rule as the verifier's typed params hold it."""
    return VERIFIER.parse_params({"rules": [rule]}).rules[0]


def ok(rule: dict[str, Any], text: str) -> bool:
    return run_rule(parse(rule), text).ok


# --- topic ---------------------------------------------------------------------------------


def test_topic_counts_distinct_terms_found_and_a_star_lets_a_word_run_on() -> None:
    rule = {"rule": "topic", "terms": ["recurs*", "stack", "base case"], "min": 2}
    assert ok(rule, "Recursion unwinds the STACK.")
    assert ok(rule, "A recursive function needs a base\ncase.")
    # one term said three times is still one term
    assert not ok(rule, "recursion, recursive, recurse")
    # terms start on a word boundary: "precursor" is not "recurs*", "stackable" is not "stack"
    assert not ok(rule, "A precursor of stackable chairs.")
    assert run_rule(parse(rule), "nothing here").detail.startswith("0 topic term(s), expected at least 2 of 'recurs*'")
    assert run_rule(parse(rule), "recursion on the stack").detail == "2 topic term(s): 'recurs*', 'stack'"


def test_topic_defaults_to_one_term_and_takes_max_and_exact() -> None:
    assert ok({"rule": "topic", "terms": ["livr*", "colis"]}, "Votre colis est arrivé.")
    assert not ok({"rule": "topic", "terms": ["livr*", "colis"]}, "Merci pour votre message.")
    assert ok({"rule": "topic", "terms": ["dog", "cat"], "max": 1}, "A dog.")
    assert not ok({"rule": "topic", "terms": ["dog", "cat"], "exact": 1}, "A dog and a cat.")
    # accents and curly apostrophes: "expédi*" finds "expédiée", "don't" finds "don’t"
    assert ok({"rule": "topic", "terms": ["expédi*"]}, "La commande a été expédiée.")
    assert ok({"rule": "topic", "terms": ["don't"]}, "I don\u2019t know.")


@pytest.mark.parametrize(
    ("rule", "field"),
    [
        ({"rule": "topic", "terms": []}, "rules[0].terms"),
        ({"rule": "topic", "terms": ["ok", " "]}, "rules[0].terms"),
        ({"rule": "topic", "terms": ["*"]}, "rules[0].terms"),
        ({"rule": "topic", "terms": ["re*curs"]}, "rules[0].terms"),
        ({"rule": "topic", "terms": ["a", "b"], "min": 3}, "rules[0].min"),
        ({"rule": "topic", "terms": "vpn"}, "rules[0].terms"),
        ({"rule": "topic", "terms": ["a"], "required": []}, "rules[0].required"),
        ({"rule": "topic", "terms": ["a"], "required": "vpn"}, "rules[0].required"),
        ({"rule": "topic", "terms": ["a"], "required": ["v*pn"]}, "rules[0].required"),
        ({"rule": "sections", "names": ["A"], "min_words": 0}, "rules[0].min_words"),
        ({"rule": "bullet_count", "min": 1, "min_words": 0}, "rules[0].min_words"),
        ({"rule": "bullet_count", "min": 1, "min_words": 5, "max_words": 4}, "rules[0].min_words"),
    ],
)
def test_bad_content_rule_params_name_the_field(rule: dict[str, Any], field: str) -> None:
    with pytest.raises(ParamError) as caught:
        parse(rule)
    assert caught.value.field == field


def test_topic_required_needs_one_core_term_besides_the_loose_count() -> None:
    rule = {"rule": "topic", "terms": ["team*", "work*", "morning*"], "required": ["remote*", "time zone*"], "min": 1}
    check = run_rule(parse(rule), "Good Morning Everyone")
    assert not check.ok and check.detail == "none of the core term(s) 'remote*', 'time zone*'"
    assert ok(rule, "Leading a Team Across Time Zones")
    assert ok(rule, "Remote Work That Works")
    # a core term alone does not make up for the loose count
    assert not ok({**rule, "min": 2}, "Remote Life")


# --- sections and list items with something in them ------------------------------------------


def test_sections_min_words_counts_each_named_sections_own_body() -> None:
    rule = {"rule": "sections", "names": ["Summary", "Risks", "Next Steps"], "min_words": 3}
    full = "## Summary\n\nSix templates built.\n\n## Risks\n\nVendor has not answered.\n\n## Next Steps\n\n- Chase the vendor."
    assert ok(rule, full)
    # a "Label:" line's own text is the start of its section
    assert ok(rule, "Summary: six templates built\nRisks: the vendor is late\nNext steps: chase the vendor")
    empty = "## Summary\n\n## Risks\n\n## Next Steps\n\nSix templates built, vendor late, chase the vendor."
    check = run_rule(parse(rule), empty)
    assert not check.ok and check.detail == "section(s) 'Summary', 'Risks' hold fewer than 3 words"
    # order is still judged first
    assert run_rule(parse(rule), "## Risks\nVendor is late.\n## Summary\nAll built now.\n## Next Steps\nChase them now.").detail.startswith("sections out of order")


def test_bullet_min_words_rejects_items_that_say_nothing() -> None:
    rule = {"rule": "bullet_count", "exact": 2, "min_words": 3, "max_words": 12}
    assert ok(rule, "- Added dark mode\n- Fixed the login loop")
    check = run_rule(parse(rule), "- Added dark mode\n- Fixed it")
    assert not check.ok and check.detail == "1 item(s) under 3 words: 'Fixed it'"


# --- the pack ----------------------------------------------------------------------------------

# Answers an audit found passing every rule of instructfollow-15 before the content rules.
CONTENTLESS = {
    "IF-01": " ".join(["word"] * 45) + " Stay hydrated.",
    "IF-02": "a b c.\n\nd e f.\n\ng h i.",
    "IF-03": "- a\n- b\n- c\n- d\n- e",
    "IF-04": "Please move [A] to [B]. Thanks [C].",
    "IF-06": "## Summary\n\nx\n\n## Risks\n\ny\n\n## Next Steps\n\nz",
    "IF-08": '"A\nB\nC"',
    "IF-09": "Hello World",
    "IF-10": "In short, net profit. Yes.",
    "IF-11": "Ich bin nicht der und die das ist ein Hund.",
    "IF-12": "v2.4.0\n- Added x\n- Fixed y\n- Changed z\n- Removed w",
    "IF-14": "Meetup #a #b on 12 May",
}

# Real answers worded unlike the proofs: the content rule must not demand the gold's words.
OTHER_WORDINGS = {
    "IF-01": "Meet the Trailhead: 750 ml of ice-cold water wherever the trail goes. Stay hydrated.",
    "IF-02": "a vpn hides what you do online from strangers.",
    "IF-03": "- Keep a fixed bedtime.\n- Skip coffee after noon.\n- Leave your phone outside the bedroom.",
    "IF-04": "Could we find a new time for our chat on [Date], [Client Name]?",
    "IF-05": "1. Comes más sano.\n2. Puedes sorprender a tu familia con platos nuevos.",
    "IF-06": "## Summary\nThe redesign is on track and the blog pages are built.",
    "IF-08": '"CRIMSON AND YELLOW FOLIAGE\nSWIRLS TO THE COLD GROUND"',  # colours alone no longer do: see OFF_TOPIC
    "IF-09": "How to Stay Close When Your Coworkers Are Asleep",
    "IF-10": "In short, the company sold more but earned less, as higher support costs cut net profit.",
    "IF-11": "Wer radelt bleibt gesund.",
    "IF-12": "2.4.0\n- Added a faster image viewer\n- Fixed notifications on iOS 17\n- Removed Flash support",
    "IF-13": "Recursion means a function that calls a copy of itself.",
    "IF-14": "Join fellow Pythonistas on May 12 at the Central Library #python #community",
    "IF-15": "Merci, nous sommes ravis que votre commande soit arrivée si vite !",
}


@pytest.fixture(scope="module")
def pack():
    plugins = load_plugins([])
    return resolve_pack("instructfollow-15", plugins.packs, plugins.verifiers, plugins.drivers)


@pytest.mark.parametrize("scenario_id", sorted(CONTENTLESS))
def test_contentless_answers_now_fail_their_scenario(pack, scenario_id: str) -> None:
    scenario = pack.scenario(scenario_id)
    verdict = VERIFIER.verify(scenario.verifier.parsed, ChatResponse(content=CONTENTLESS[scenario_id]), VerifyContext(scenario=scenario))
    assert not verdict.passed
    assert {c.name for c in verdict.checks if not c.ok} & {"topic", "sections", "bullet_count"}


@pytest.mark.parametrize("scenario_id", sorted(OTHER_WORDINGS))
def test_differently_worded_answers_find_their_topic(pack, scenario_id: str) -> None:
    rules = pack.scenario(scenario_id).verifier.params["rules"]
    topic = [r for r in rules if r["rule"] == "topic"]
    assert len(topic) == 1
    check = run_rule(parse(topic[0]), OTHER_WORDINGS[scenario_id])
    assert check.ok, check.detail


def test_every_scenario_but_the_json_one_has_a_topic_rule(pack) -> None:
    """IF-07 checks its content with value matchers on the JSON instead."""
    for scenario in pack.scenarios:
        kinds = [r["rule"] for r in scenario.verifier.params["rules"]]
        assert kinds.count("topic") == (0 if scenario.id == "IF-07" else 1), scenario.id


# Answers a second audit found passing with generic words only, or with the facts reversed;
# each keeps every form rule and fails at the named check.
OFF_TOPIC = {
    "IF-02": ("the internet is big.\n\nmy network is slow.\n\nok.", "topic"),
    "IF-04": ("The day was nice [A]. The time is [B] [C].", "topic"),
    "IF-06": ("## Summary\n\nThe cat sat down.\n\n## Risks\n\nThe dog may bark.\n\n## Next Steps\n\nFeed the pets. Update the page content.", "topic"),
    "IF-08": ('"THE RED CAR\nIS GOLD AND\nORANGE"', "topic"),
    "IF-09": ("Good Morning Everyone", "topic"),
    "IF-10": ("In short net profit rose 40% in 2025. Costs fell 18% and revenue fell.", "profit_fell"),
    "IF-11": ("Ich bin nicht der und die das ist ein Hund mit Velo.", "topic"),
    "IF-13": ("base case base case function call stack " + " ".join(["word"] * 78) + ".", "topic"),
}


@pytest.mark.parametrize("scenario_id", sorted(OFF_TOPIC))
def test_generic_or_reversed_answers_fail_only_on_content(pack, scenario_id: str) -> None:
    scenario = pack.scenario(scenario_id)
    text, check_name = OFF_TOPIC[scenario_id]
    verdict = VERIFIER.verify(scenario.verifier.parsed, ChatResponse(content=text), VerifyContext(scenario=scenario))
    failed = {c.name for c in verdict.checks if not c.ok}
    assert check_name in failed
    assert failed <= {"topic", "profit_fell", "profit_not_rising"}, failed  # the form itself is fine


@pytest.mark.parametrize(
    ("summary", "passes"),
    [
        ("In short, revenue rose 12% but net profit fell 25% as costs grew 18%. Margins should recover in 2025.", True),
        ("In short, a jump in support costs led to a drop in net profit despite 12% revenue growth. Margins should recover in 2025.", True),
        ("In short, net profit went from $600,000 to $450,000 even though revenue grew 12%. Costs rose 18% for a bigger support team.", True),
        ("In short, revenue was up 12% but higher costs pushed net profit down to $450,000. Margins should recover in 2025.", True),
        ("In short, net profit rose to $450,000 as revenue grew 12%. Costs fell 18%.", False),
        ("In short, net profit increased while costs dropped 18%. Revenue grew 12% in 2024.", False),
        ("In short, costs fell and net profit improved. Revenue grew 12% in 2024.", False),
    ],
)
def test_if10_summary_must_say_net_profit_fell(pack, summary: str, passes: bool) -> None:
    scenario = pack.scenario("IF-10")
    verdict = VERIFIER.verify(scenario.verifier.parsed, ChatResponse(content=summary), VerifyContext(scenario=scenario))
    assert verdict.passed is passes, [c for c in verdict.checks if not c.ok]
