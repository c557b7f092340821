"""The ``instructions`` verifier's rules as typed parameters: one attrs class per rule kind,
picked by the rule's ``rule`` key (documented in
``benchlab.plugins.verifiers.instructions.instructions``)."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

import attrs

from benchlab.plugins.verifiers.instructions import text_measures as tm
from benchlab.plugins.verifiers.structured.matcher_validation import matcher_map_field
from benchlab.verifier_params import ParamError
from benchlab.param_checks import between, compiles, non_negative, not_blank

FLAGS = "ims"


_at_least_one = between(1, float("inf"), "at least 1")


def _flags(_: Any, attribute: attrs.Attribute, value: str) -> None:
    if any(f not in FLAGS for f in value):
        raise ParamError(attribute.name, "a string of i, m, s")


def _language(_: Any, attribute: attrs.Attribute, value: str) -> None:
    if value not in tm.STOPWORDS:
        raise ParamError(attribute.name, f"one of {', '.join(tm.STOPWORDS)}")


@attrs.frozen(kw_only=True)
class InstructionRule:
    """What every rule has: its kind (``rule``) and an optional ``name`` for its check."""

    rule: str
    name: str | None = attrs.field(default=None, validator=not_blank)


@attrs.frozen(kw_only=True)
class PlainRule(InstructionRule):
    """A rule with nothing to set (``lowercase``, ``no_commas``, ``quoted``...)."""


@attrs.frozen(kw_only=True)
class CountedRule(InstructionRule):
    """A counted rule: ``min``, ``max``, or ``exact`` (with an optional ``tolerance``)."""

    min: int | None = attrs.field(default=None, validator=non_negative)
    max: int | None = attrs.field(default=None, validator=non_negative)
    exact: int | None = attrs.field(default=None, validator=non_negative)
    tolerance: int | None = attrs.field(default=None, validator=non_negative)
    bound_required: ClassVar[bool] = True  # one of min / max / exact must be given

    @property
    def has_bound(self) -> bool:
        return self.min is not None or self.max is not None or self.exact is not None

    def __attrs_post_init__(self) -> None:
        if not self.has_bound:
            if self.bound_required:
                raise ParamError("", "give min, max or exact")
            if self.tolerance is None:
                return
        if self.exact is not None and (self.min is not None or self.max is not None):
            raise ParamError("exact", "use exact alone, or min/max")
        if self.tolerance is not None and self.exact is None:
            raise ParamError("tolerance", "only with exact")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ParamError("min", f"greater than max ({self.max})")


@attrs.frozen(kw_only=True)
class PhrasesRule(InstructionRule):
    phrases: list[str] = attrs.field(validator=not_blank)
    ignore_case: bool = True


@attrs.frozen(kw_only=True)
class PhraseCountRule(CountedRule):
    phrase: str = attrs.field(validator=not_blank)
    ignore_case: bool = True


@attrs.frozen(kw_only=True)
class StartsWithRule(InstructionRule):
    starts_with: str = attrs.field(validator=not_blank)
    ignore_case: bool = False


@attrs.frozen(kw_only=True)
class EndsWithRule(InstructionRule):
    ends_with: str = attrs.field(validator=not_blank)
    ignore_case: bool = False


@attrs.frozen(kw_only=True)
class BulletCountRule(CountedRule):
    style: Literal["any", "ordered", "unordered"] = "any"
    min_words: int | None = attrs.field(default=None, validator=_at_least_one)
    max_words: int | None = attrs.field(default=None, validator=_at_least_one)

    def __attrs_post_init__(self) -> None:
        super().__attrs_post_init__()
        if self.min_words is not None and self.max_words is not None and self.min_words > self.max_words:
            raise ParamError("min_words", f"greater than max_words ({self.max_words})")


@attrs.frozen(kw_only=True)
class HeaderCountRule(CountedRule):
    level: Literal[1, 2, 3, 4, 5, 6] | None = None


@attrs.frozen(kw_only=True)
class SectionsRule(InstructionRule):
    names: list[str] = attrs.field(validator=not_blank)
    ordered: bool = True
    min_words: int | None = attrs.field(default=None, validator=_at_least_one)


def _terms(_: Any, attribute: attrs.Attribute, terms: list[str] | None) -> None:
    if terms is None:
        return
    not_blank(_, attribute, terms)
    if any(t.strip() == "*" or "*" in t.strip()[:-1] for t in terms):
        raise ParamError(attribute.name, "'*' only at the end of a term, after at least one character")


@attrs.frozen(kw_only=True)
class TopicRule(CountedRule):
    terms: list[str] = attrs.field(validator=_terms)
    required: list[str] | None = attrs.field(default=None, validator=_terms)
    bound_required: ClassVar[bool] = False  # by default at least one term

    def __attrs_post_init__(self) -> None:
        super().__attrs_post_init__()
        if (self.min or 0) > len(self.terms) or (self.exact or 0) > len(self.terms):
            raise ParamError("min", f"more than the {len(self.terms)} terms listed")


@attrs.frozen(kw_only=True)
class LanguageRule(InstructionRule):
    lang: str = attrs.field(validator=_language)


@attrs.frozen(kw_only=True)
class JsonRule(InstructionRule):
    type: Literal["any", "object", "array"] = "any"
    fields: dict[str, Any] | None = attrs.field(default=None, validator=matcher_map_field)
    extra_keys: bool = True
    fence: bool = True


@attrs.frozen(kw_only=True)
class MaxLineLengthRule(InstructionRule):
    max: int = attrs.field(validator=_at_least_one)


@attrs.frozen(kw_only=True)
class RegexRule(CountedRule):
    pattern: str = attrs.field(validator=compiles)
    flags: str = attrs.field(default="", validator=_flags)
    bound_required: ClassVar[bool] = False  # by default at least one match


RULE_PARAMS: dict[str, type[InstructionRule]] = {
    "word_count": CountedRule,
    "sentence_count": CountedRule,
    "paragraph_count": CountedRule,
    "line_count": CountedRule,
    "char_count": CountedRule,
    "lowercase": PlainRule,
    "uppercase": PlainRule,
    "title_case": PlainRule,
    "required_phrases": PhrasesRule,
    "forbidden_phrases": PhrasesRule,
    "phrase_count": PhraseCountRule,
    "starts_with": StartsWithRule,
    "ends_with": EndsWithRule,
    "bullet_count": BulletCountRule,
    "header_count": HeaderCountRule,
    "sections": SectionsRule,
    "topic": TopicRule,
    "placeholders": CountedRule,
    "no_commas": PlainRule,
    "language": LanguageRule,
    "json": JsonRule,
    "quoted": PlainRule,
    "max_line_length": MaxLineLengthRule,
    "regex": RegexRule,
}
