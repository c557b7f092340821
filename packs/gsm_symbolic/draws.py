"""Instantiating a problem template: drawing names and numbers, and refusing ambiguous instances.

The GSM-Symbolic method: one problem, many instances with other names and numbers. A
template draws its values from a ``Draw`` and returns the question with the answer it
computes itself; ``require`` refuses a draw whose problem would be ambiguous (a share
that does not divide evenly, money that is not a whole number of dollars, a count that
goes negative). ``instantiate`` draws again until an instance holds, from a generator
seeded by the instance seed and the template's id, so an instance is the same on every
machine and every Python.
"""

from __future__ import annotations

import random
from fractions import Fraction
from typing import Callable

import attrs

# Enough draws that a template whose constraints hold one draw in ten always finds one.
MAX_DRAWS = 1000

NAMES = (
    "Amara", "Bilal", "Chloe", "Dmitri", "Elena", "Farid", "Grace", "Hiroshi", "Ines", "Jamal", "Keiko", "Liam",
    "Maya", "Nikolai", "Olu", "Priya", "Quinn", "Rosa", "Samir", "Tessa", "Umar", "Vera", "Wen", "Ximena",
    "Yusuf", "Zoe", "Aiden", "Bea", "Carlos", "Dara", "Emeka", "Freya", "Goran", "Hana", "Ivan", "Jun",
)


class Reject(Exception):
    """This draw makes an ambiguous or impossible problem: draw again."""


def require(condition: bool) -> None:
    if not condition:
        raise Reject


@attrs.frozen
class Instance:
    """One problem: its text and the answer the template computed (an integer)."""

    template: str
    question: str
    answer: int
    unit: str  # how the proofs phrase the answer: "dollars" puts a $ in front, else a word after


class Draw:
    """Values for one attempt at an instance: distinct names, integers in ranges, choices."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self._names: list[str] = []

    def name(self) -> str:
        """A name not drawn before in this instance (two people never share one)."""
        choice = self.rng.choice([n for n in NAMES if n not in self._names])
        self._names.append(choice)
        return choice

    def int(self, low: int, high: int, step: int = 1) -> int:
        return self.rng.randrange(low, high + 1, step)

    def pick(self, options: tuple[str, ...]) -> str:
        return self.rng.choice(options)


Template = Callable[[Draw], tuple[str, Fraction | int, str]]


def whole(value: Fraction | int) -> int:
    """The answer as an integer; a fraction (a share that does not divide, cents) is refused."""
    value = Fraction(value)
    require(value.denominator == 1)
    return int(value)


def instantiate(template_id: str, template: Template, seed: int) -> Instance:
    """The instance of ``template`` for ``seed``: the first draw whose problem is unambiguous,
    with a positive whole-number answer."""
    rng = random.Random(f"gsm-symbolic:{seed}:{template_id}")
    for _ in range(MAX_DRAWS):
        try:
            question, answer, unit = template(Draw(rng))
            value = whole(answer)
            require(value > 0)
        except Reject:
            continue
        return Instance(template_id, question, value, unit)
    raise RuntimeError(f"template {template_id}: no unambiguous instance in {MAX_DRAWS} draws (a template bug)")
