"""Verifier ``numeric_answer``: the number on the answer's FINAL line, within a tolerance.

Params::

    {"kind": "numeric_answer", "expected": 1284.5,
     "tolerance": 0.005,                # or {"abs": 0.005} / {"rel": 0.01} / both
     "units": ["km", "kilometres"],     # optional
     "percent": "points"}               # optional: "points" or "fraction"

The final-answer convention (it decides pass or fail):

1. The answer is the content with reasoning removed. Its *final line* is the last line
   holding a letter or a digit (so a closing code fence, ``---``, ``$$`` or ``\\]`` after
   the answer is skipped). Nothing above the final line is ever read: a correct number
   in the working does not count when the final line says something else.
2. Inside the final line, LaTeX is simplified first: ``\\frac{a}{b}`` / ``\\dfrac`` /
   ``\\tfrac`` become ``a/b``, ``\\$`` becomes ``$``, ``{,}`` becomes ``,`` and ``\\,``
   between digits is dropped. When the line holds ``\\boxed{...}``, only the content of
   the last box is read.
3. Otherwise the *segment* is the text after the last answer marker: the word
   ``answer`` optionally followed by ``is``, ``:`` or ``=`` ("Answer: 42", "Final answer
   is 42", "**Answer:** 42"), or ``####``. Without a marker the segment is the whole line.
4. Parenthesised or bracketed asides are dropped from the segment when a number is left
   outside them ("42 (6 boxes of 7)" reads 42).
5. When the segment holds ``=`` or ``≈`` followed by a number, the first number after
   the last one is read ("3 × 14 = 42" reads 42). Otherwise the first number after a
   marker, or the last number of a line without one ("So the total is 42." reads 42).
6. No number there: the ``final_line`` check fails; there is no other fallback.
7. The answer must commit to that number: ``final_line`` fails as "ambiguous" when the
   text it was read from (the tail after the last ``=``, else the segment) negates it
   ("not 200.82", "isn't 200.82", "200.82 is wrong"), or holds another number of a
   different value (``p%`` and ``p/100`` count as one value) that is offered beside it: a
   hedging word anywhere there ("200.82 or 150", "200.82 - wait, no, 150"), or only
   punctuation and a unit between the two ("150, 200.82", "8 litres, 12 litres", "2. 200.82").

Numbers: an optional sign (``-``, ``+``, or the unicode minus), an optional currency
symbol (``$ € £ ¥ ₹``, before or after the sign), digits with optional comma thousands
groups (``1,284.50``) or thin / no-break space groups (``1 284``), an optional decimal
part and exponent (``1.5e3``), fractions ``3/8`` and mixed numbers ``2 1/2``, unicode
vulgar fractions (``1½``). A number glued to letters in front (``Q3``, ``v2``) is not one.
Decimal commas (``3,5``) and times (``1:30``) are not read as one number.

Percentages: a number followed by ``%`` (or "percent") counts only when the scenario
declares that its expected value is a percentage, with ``percent``: ``"points"`` (expected
in percentage points: "21.25%" and "21.25" both answer 21.25) or ``"fraction"`` (expected
as a fraction: "31.11%" and "0.3111" both answer 0.3111). Without ``percent`` (money,
counts, lengths...) a number written with ``%`` never matches: "20082%" is not $200.82.

``tolerance``: a number (absolute), or an object with ``abs`` and/or ``rel`` (relative
to ``expected``); the value passes when within either. Default 0 (up to float rounding).

``units``: when given, the word right after the number must be one of these (compared
case-insensitively; a listed unit may also be glued, as in ``42km``) or absent; any
other word there fails the ``unit`` check ("42 miles" when km was asked).
``require_unit: true`` also fails a bare number. Without ``units`` whatever follows
the number is not judged.

Checks: ``final_line`` (a number was read; the detail quotes the line), ``value``, and
``unit`` when ``units`` is given. Failure mode: ``wrong_answer``.
"""

from __future__ import annotations

import math
import re
import unicodedata
from typing import Any, Literal

import attrs

from benchlab.model import ChatResponse, Check, FailureMode, Verdict
from benchlab.verifier_params import ParamError
from benchlab.param_checks import finite, non_negative, not_blank
from benchlab.verifiers import Verifier, VerifyContext, answer_text

_ALNUM = re.compile(r"[^\W_]")
_GROUP_SPACE = re.compile(r"(?<=\d)[\u00a0\u2009\u202f](?=\d{3}(?!\d))")
_VULGAR = re.compile(r"(?<=\d)(?=[\u00bc-\u00be\u2150-\u215e])")
_LATEX_FRAC = re.compile(r"\\[dt]?frac\s*\{\s*([-+]?\d+)\s*\}\s*\{\s*(\d+)\s*\}")
_LATEX_THIN = re.compile(r"(?<=\d)\\[,;!: ](?=\d)")
_BOXED = "\\boxed{"
_MARKER = re.compile(r"\banswer\b\**\s*(?:is\b|:|=)?|####", re.IGNORECASE)
_ASIDE = re.compile(r"\([^()]*\)|\[[^\[\]]*\]")
_EQUALS = re.compile(r"=|≈|\\approx")
_NUMBER = re.compile(
    r"""(?<![\w.,/])
    (?P<sign>[-+]?)(?:(?P<cur>[$€£¥₹])\s?)?(?P<sign2>[-+]?)
    (?:
        (?P<whole>\d+)\s+(?P<mnum>\d+)/(?P<mden>\d+)(?![\d/])
      | (?P<num>\d+)/(?P<den>\d+)(?![\d/])
      | (?P<dec>(?:\d{1,3}(?:,\d{3})+(?!\d)|\d+)(?:\.\d+)?|\.\d+)(?P<exp>[eE][-+]?\d+)?
    )(?![.,]?\d)  # "12.3.4" and "3,5" are not numbers we can read
    (?P<pct>\s?(?:%|percent\b|per\ cent\b))?""",
    re.VERBOSE | re.IGNORECASE,
)
_UNIT_WORD = re.compile(r"\s*([^\W\d_][\w°/²³.-]*|°[CFK]?)", re.UNICODE)


@attrs.frozen
class NumberToken:
    """A number as written: its value, whether a ``%`` followed, and where it ends."""

    value: float
    percent: bool
    text: str
    end: int


@attrs.frozen
class FinalAnswer:
    """What the final-answer convention read: the line, the number (or None) and what follows it."""

    line: str
    number: NumberToken | None
    after: str
    ambiguity: str = ""  # why the line does not commit to one number; empty when it does


def normalise_line(line: str) -> str:
    """LaTeX, unicode minus, vulgar fractions and space thousands groups made plain."""
    line = _GROUP_SPACE.sub("", line)
    line = _VULGAR.sub(" ", line)
    line = unicodedata.normalize("NFKC", line).replace("\u2044", "/").replace("\u2212", "-")
    line = _LATEX_FRAC.sub(r"\1/\2", line).replace("\\$", "$").replace("{,}", ",")
    line = _LATEX_THIN.sub("", line)
    return line


def numbers(text: str) -> list[NumberToken]:
    """Every number written in ``text`` (already normalised), in order."""
    found = []
    for m in _NUMBER.finditer(text):
        value = _value(m)
        if value is not None:
            found.append(NumberToken(value, bool(m.group("pct")), m.group(0).strip(), m.end()))
    return found


def _value(m: re.Match[str]) -> float | None:
    negative = "-" in (m.group("sign") + m.group("sign2"))
    try:
        if m.group("whole") is not None:
            value = int(m.group("whole")) + _fraction(m.group("mnum"), m.group("mden"))
        elif m.group("num") is not None:
            value = _fraction(m.group("num"), m.group("den"))
        else:
            value = float(m.group("dec").replace(",", "") + (m.group("exp") or ""))
    except (ValueError, OverflowError, ZeroDivisionError):
        return None
    if not math.isfinite(value):
        return None
    return -value if negative else value


def _fraction(numerator: str, denominator: str) -> float:
    return int(numerator) / int(denominator)


def parse_number_token(text: str) -> NumberToken | None:
    """``text`` as exactly one number ("$1,284.50", "12.5%", "3/8", "-7"), else None."""
    line = normalise_line(text.strip())
    m = _NUMBER.fullmatch(line)
    value = _value(m) if m else None
    if m is None or value is None:
        return None
    return NumberToken(value, bool(m.group("pct")), m.group(0).strip(), m.end())


def final_line(text: str) -> str:
    """The last line holding a letter or a digit; empty when there is none."""
    lines = [line for line in text.splitlines() if _ALNUM.search(line)]
    return lines[-1].strip() if lines else ""


def read_final_answer(text: str) -> FinalAnswer:
    """Apply the final-answer convention documented above to an answer text."""
    raw = final_line(text)
    line = normalise_line(raw)
    box = line.rfind(_BOXED)
    if box >= 0:
        segment, marked = _braced(line, box + len(_BOXED)), True
    else:
        markers = list(_MARKER.finditer(line))
        segment = line[markers[-1].end():] if markers else line
        marked = bool(markers)
    stripped = _ASIDE.sub(" ", segment)
    if numbers(stripped):
        segment = stripped
    chosen: NumberToken | None = None
    after_from = segment
    equals = list(_EQUALS.finditer(segment))
    if equals:
        tail = segment[equals[-1].end():]
        found = numbers(tail)
        if found:
            chosen, after_from = found[0], tail
    if chosen is None:
        found = numbers(segment)
        if found:
            chosen = found[0] if marked else found[-1]
    after = after_from[chosen.end:] if chosen else ""
    ambiguity = _ambiguity(after_from, chosen) if chosen else ""
    return FinalAnswer(raw, chosen, after, ambiguity)


# Words that offer or retract a candidate ("150 or 180", "200.82 - wait, no, 150").
_HEDGE = re.compile(
    r"\b(?:or|either|maybe|perhaps|possibly|probably|wait|actually|rather|instead|alternatively|no|wrong|incorrect|otherwise|unless)\b",
    re.IGNORECASE,
)
# A word right before a number that negates it ("not 200.82", "isn't 150", "never 3").
_NEGATION_BEFORE = re.compile(r"(?:\b(?:not|never|nor)|n't|\bisnt)\W*$", re.IGNORECASE)
# Words right after the chosen number that retract it ("200.82 is wrong").
_NEGATION_AFTER = re.compile(r"^\W*(?:is|was|would be|seems)?\s*(?:wrong|incorrect|not right|not correct|a mistake)\b", re.IGNORECASE)
# Only punctuation between two numbers: a bare list of candidates ("150, 180, 200.82").
_LIST_GAP = re.compile(r"[\s,;/|.*…\-–—+]*")


def _same(a: NumberToken, b: NumberToken) -> bool:
    """Two ways of writing one value: equal, or ``p%`` beside ``p / 100``."""
    def close(x: float, y: float) -> bool:
        return abs(x - y) <= 1e-9 * max(1.0, abs(x), abs(y))
    return close(a.value, b.value) or (a.percent != b.percent and close(*(t.value / 100 if t.percent else t.value for t in (a, b))))


def _ambiguity(region: str, chosen: NumberToken) -> str:
    """Why ``region`` (the text the number was read from) does not commit to ``chosen``.

    It negates the number, or it holds another number of a different value that is
    offered beside it: with a hedging word anywhere in the region, or with only
    punctuation (and a unit) between the two. Numbers it negates are no candidates.
    """
    spans = []
    for m in _NUMBER.finditer(region):
        value = _value(m)
        before = region[max(0, m.start() - 24): m.start()]  # bounded windows keep this linear
        if value is None or before.endswith("^"):  # "m^2": an exponent, not a candidate
            continue
        token = NumberToken(value, bool(m.group("pct")), m.group(0).strip(), m.end())
        negated = bool(_NEGATION_BEFORE.search(before)) or bool(_NEGATION_AFTER.match(region[m.end(): m.end() + 40]))
        spans.append((m.start(), token, negated))
    mine = next((s for s in spans if s[1].end == chosen.end), None)
    if mine is not None and mine[2]:
        return f"it negates {chosen.text}"
    candidates = [s for s in spans if not s[2]]
    others = [s[1].text for s in candidates if not _same(s[1], chosen)]
    if not others:
        return ""
    listed = ", ".join(repr(t) for t in [chosen.text, *others][:4])
    if _HEDGE.search(region):
        return f"it offers several numbers ({listed}) with a hedge"
    for (_, first, _), (start, second, _) in zip(candidates, candidates[1:]):
        gap = region[first.end:start]
        unit = _UNIT_WORD.match(gap)
        if unit and not _HEDGE.fullmatch(unit.group(1)):
            gap = gap[unit.end():]
        if not _same(first, second) and _LIST_GAP.fullmatch(gap):
            return f"it lists several numbers ({listed})"
    return ""


def _braced(line: str, start: int) -> str:
    """The text from ``start`` up to the brace that closes the one before it."""
    depth = 1
    for index in range(start, len(line)):
        if line[index] == "{":
            depth += 1
        elif line[index] == "}":
            depth -= 1
            if depth == 0:
                return line[start:index]
    return line[start:]


# --- tolerance: shared with the extraction verifier ------------------------------------------


@attrs.frozen
class Tolerance:
    """``{"abs": A, "rel": R}`` (either or both): the larger of the two slacks counts."""

    abs: float | None = attrs.field(default=None, validator=[finite, non_negative])
    rel: float | None = attrs.field(default=None, validator=[finite, non_negative])

    def __attrs_post_init__(self) -> None:
        if self.abs is None and self.rel is None:
            raise ParamError("", "give abs and/or rel")


AnyTolerance = float | Tolerance
"""A tolerance parameter: a number >= 0 (absolute) or a Tolerance; validate it with ``tolerance_field``."""


def tolerance_field(instance: Any, attribute: attrs.Attribute, value: AnyTolerance | None) -> None:
    """An attrs validator: a plain tolerance is a finite number >= 0 (a Tolerance checks itself)."""
    if not isinstance(value, Tolerance):
        finite(instance, attribute, value)
        non_negative(instance, attribute, value)


def within(expected: float, got: float, tolerance: AnyTolerance | None) -> bool:
    """Whether ``got`` is within ``tolerance`` of ``expected``."""
    if not math.isfinite(got):
        return False
    if isinstance(tolerance, Tolerance):
        slack = max(tolerance.abs or 0, (tolerance.rel or 0) * abs(expected))
    else:
        slack = tolerance or 0
    # float rounding: 0.1 + 0.2 must equal 0.3 even with no tolerance
    return abs(got - expected) <= slack + 1e-9 * max(1.0, abs(expected))


def describe_tolerance(tolerance: AnyTolerance | None) -> str:
    """`` (±0.005)`` for a tolerance, empty for none."""
    if not tolerance:
        return ""
    if not isinstance(tolerance, Tolerance):
        return f" (±{tolerance:g})"
    parts = []
    if tolerance.abs is not None:
        parts.append(f"±{tolerance.abs:g}")
    if tolerance.rel is not None:
        parts.append(f"±{tolerance.rel:.4g} relative")
    return " (" + " or ".join(parts) + ")"


PercentMode = Literal["points", "fraction"]


def number_matches(expected: float, token: NumberToken, tolerance: AnyTolerance | None, percent: str | None = None) -> bool:
    """A plain number answers its value. A percent token ``p%`` answers ``p`` when the
    expected value is in percentage ``points``, ``p / 100`` when it is a ``fraction``, and
    nothing when the expected value is no percentage at all."""
    if not token.percent:
        return within(expected, token.value, tolerance)
    if percent == "points":
        return within(expected, token.value, tolerance)
    if percent == "fraction":
        return within(expected, token.value / 100, tolerance)
    return False


def percent_problem(token: NumberToken, percent: str | None) -> str:
    """Why a percent token did not count, for a check's detail; empty when that is not why."""
    return " (written as a percentage, but the expected value is not one)" if token.percent and percent is None else ""


def shown_line(line: str, limit: int = 80) -> str:
    return repr(line if len(line) <= limit else "..." + line[-(limit - 3):])


@attrs.frozen
class NumericAnswerParams:
    expected: float = attrs.field(validator=finite)
    tolerance: AnyTolerance = attrs.field(default=0.0, validator=tolerance_field)
    units: list[str] | None = attrs.field(default=None, validator=not_blank)
    require_unit: bool = False
    percent: PercentMode | None = None  # None: the expected value is no percentage

    def __attrs_post_init__(self) -> None:
        if self.require_unit and self.units is None:
            raise ParamError("require_unit", "needs units")


class NumericAnswerVerifier(Verifier):
    """The number read from the answer's final line equals ``expected`` within tolerance."""

    params = NumericAnswerParams

    def verify(self, params: NumericAnswerParams, response: ChatResponse, ctx: VerifyContext) -> Verdict:
        text = answer_text(response)
        found = read_final_answer(text)
        checks = [_final_line_check(text, found)]
        if found.number is None:
            checks.append(Check("value", False, f"no number to compare with {params.expected:g}"))
        else:
            checks.append(_value_check(params, found.number))
        if params.units is not None:
            checks.append(_unit_check(params, found))
        return Verdict.from_checks(checks, FailureMode.WRONG_ANSWER)


def _final_line_check(text: str, found: FinalAnswer) -> Check:
    if not text:
        return Check("final_line", False, "the answer is empty")
    if not found.line:
        return Check("final_line", False, "the answer has no line with a letter or digit")
    if found.number is None:
        return Check("final_line", False, f"no number in the final line {shown_line(found.line)}")
    if found.ambiguity:
        return Check("final_line", False, f"ambiguous final answer: {found.ambiguity} in {shown_line(found.line)}")
    return Check("final_line", True, f"read {found.number.text!r} from {shown_line(found.line)}")


def _value_check(params: NumericAnswerParams, token: NumberToken) -> Check:
    expected, tolerance = params.expected, params.tolerance
    wanted = f"{expected:g}{describe_tolerance(tolerance)}"
    percent = params.percent
    if number_matches(expected, token, tolerance, percent):
        return Check("value", True, f"{token.text} matches {wanted}")
    return Check("value", False, f"expected {wanted}, got {token.text}{percent_problem(token, percent)}")


def _unit_check(params: NumericAnswerParams, found: FinalAnswer) -> Check:
    units = params.units or []
    if found.number is None:
        return Check("unit", False, "no number, so no unit")
    after = found.after
    lowered = after.lstrip().casefold()
    for unit in sorted(units, key=len, reverse=True):
        wanted = unit.strip().casefold()
        if lowered.startswith(wanted) and not _ALNUM.match(lowered[len(wanted):len(wanted) + 1]):
            return Check("unit", True, unit)
    word = _UNIT_WORD.match(after)
    if word:
        return Check("unit", False, f"{word.group(1)!r} is not one of {', '.join(units)}")
    if params.require_unit:
        return Check("unit", False, f"no unit after {found.number.text}; expected one of {', '.join(units)}")
    return Check("unit", True, "no unit written")
