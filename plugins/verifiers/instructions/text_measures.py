"""Measuring text for the ``instructions`` verifier: words, sentences, paragraphs, bullets,
headers, sections, placeholders, language.

The definitions (what counts as a word, where a sentence ends) are documented in
``benchlab.plugins.verifiers.instructions.instructions``; they decide pass or fail, so change them only with
the tests in ``tests/test_instructions_verifier.py``.
"""

from __future__ import annotations

import re

from benchlab.plugins.verifiers.fences import scan_fences

_HR = re.compile(r"^\s{0,3}([-*_])(\s*\1){2,}\s*$")
_HEADER = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_BULLET = re.compile(r"^\s*(?:(?P<unordered>[-*+])|(?P<ordered>\d{1,3}[.)]))\s+(?P<text>\S.*)$")
_QUOTE = re.compile(r"^\s*(>\s?)+")
_TASK_BOX = re.compile(r"^\[[ xX]\]\s+")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
# Brackets and parentheses are excluded inside so a scan stops at the next one: on text
# such as "[[[[..." or "](](](..." the patterns stay linear instead of quadratic.
_IMAGE = re.compile(r"!\[([^\[\]\n]*)\]\([^()\n]*\)")
_LINK = re.compile(r"\[([^\[\]\n]+)\]\([^()\n]*\)")
# Emphasis and code marks: runs of * or `, ~~, and a run of _ not preceded (or not followed)
# by a word character. Every branch starts with a literal character, so the regex engine
# skips to the next candidate character instead of trying each branch at every position
# (``(?<!\w)_+`` is written ``_(?<!\w_)_*``: the same runs, and a literal first).
_EMPHASIS = re.compile(r"(\*\**|~~|``*|_(?<![\w]_)_*|__*(?![\w]))")
_ALNUM = re.compile(r"[^\W_]")
# The dashes that separate words as whitespace does (str.split's whitespace is exactly regex \s).
_DASHES = str.maketrans({"\u2014": " ", "\u2013": " "})

# Tokens ending in "." that never end a sentence, and those that end one only before a capital.
_NEVER_ENDS = {"e.g.", "i.e.", "cf.", "vs.", "viz.", "mr.", "mrs.", "ms.", "dr.", "prof.", "approx.", "ca.", "fig."}
_INITIALS = re.compile(r"^(?:[A-Za-z]\.){2,}$")
_OPENERS = "\"'(\u201c\u2018\u00ab["
_CLOSERS = "\"')\u201d\u2019\u00bb]*_`"


def lines_outside_fences(text: str) -> list[tuple[str, bool]]:
    """Every line with whether it sits inside a fenced code block (fence lines are dropped)."""
    blocks, unclosed = scan_fences(text)
    lines = text.splitlines()
    fence_lines: set[int] = set()
    inside: set[int] = set()
    for block in blocks + ([unclosed] if unclosed else []):
        last = block.close_line if block.close_line is not None else len(lines)
        fence_lines.update({block.open_line, last})
        inside.update(range(block.open_line + 1, last))
    return [(line, n in inside) for n, line in enumerate(lines) if n not in fence_lines]


def _strip_line(line: str) -> str:
    """One line without block markup (quote, header, list marker) and inline markup."""
    if _HR.match(line) or _TABLE_RULE.match(line):
        return ""
    line = _QUOTE.sub("", line)
    header = _HEADER.match(line)
    if header:
        line = header.group(2)
    bullet = _BULLET.match(line)
    if bullet:
        line = _TASK_BOX.sub("", bullet.group("text"))
    return strip_inline(line)


def strip_inline(text: str) -> str:
    text = _IMAGE.sub(r"\1", text)
    text = _LINK.sub(r"\1", text)
    text = _EMPHASIS.sub("", text)
    return text.replace("|", " ")


def strip_markdown(text: str) -> str:
    """The text a reader sees: markdown markup removed, line structure kept."""
    return "\n".join(line if fenced else _strip_line(line) for line, fenced in lines_outside_fences(text))


def words(text: str) -> list[str]:
    """Whitespace- or dash-separated tokens holding at least one letter or digit, markup removed."""
    text = strip_markdown(text)
    if "\u2014" in text or "\u2013" in text:
        text = text.translate(_DASHES)
    # Most tokens are letters and digits alone: isalnum answers them without a regex.
    return [t for t in text.split() if t.isalnum() or _ALNUM.search(t)]


def paragraphs(text: str) -> list[str]:
    """Blocks separated by blank lines or horizontal rules that hold at least one letter or digit."""
    blocks: list[str] = []
    current: list[str] = []
    for line, fenced in lines_outside_fences(text):
        if not fenced and (not line.strip() or _HR.match(line)):
            if current:
                blocks.append("\n".join(current))
            current = []
        else:
            current.append(line)
    if current:
        blocks.append("\n".join(current))
    return [b for b in blocks if _ALNUM.search(b)]


def _sentence_blocks(text: str) -> list[str]:
    """Runs of text inside which sentences flow: each header and list item is its own block."""
    blocks: list[str] = []
    current: list[str] = []

    def flush() -> None:
        if current:
            blocks.append(" ".join(current))
            current.clear()

    for line, fenced in lines_outside_fences(text):
        if fenced:
            continue
        if not line.strip() or _HR.match(line):
            flush()
        elif _HEADER.match(line) or _BULLET.match(line):
            flush()
            blocks.append(_strip_line(line))
        else:
            current.append(_strip_line(line))
    flush()
    return blocks


def sentences(text: str) -> list[str]:
    """Sentences: ended by . ! ? (closing quotes and brackets may follow) before whitespace,
    or by the end of a paragraph, header or list item; abbreviations do not end one."""
    found: list[str] = []
    for block in _sentence_blocks(text):
        tokens = block.split()
        start = 0
        for index, token in enumerate(tokens):
            following = tokens[index + 1] if index + 1 < len(tokens) else None
            if following is not None and _ends_sentence(token, following):
                found.append(" ".join(tokens[start:index + 1]))
                start = index + 1
        rest = " ".join(tokens[start:])
        if _ALNUM.search(rest):
            found.append(rest)
    return [s for s in found if _ALNUM.search(s)]


def _ends_sentence(token: str, following: str) -> bool:
    core = token.rstrip(_CLOSERS).lstrip(_OPENERS)
    if not core or core[-1] not in ".!?":
        return False
    if core[-1] != ".":
        return True
    lowered = core.lower()
    if lowered in _NEVER_ENDS:
        return False
    if lowered == "etc." or lowered.endswith("...") or _INITIALS.match(core):
        # Ambiguous endings: a sentence ends only when the next word starts with a capital.
        letter = next((ch for ch in following if ch.isalpha()), "")
        return letter.isupper()
    return True


def bullets(text: str) -> list[tuple[str, str]]:
    """List items as (``"ordered"`` or ``"unordered"``, item text) at any indentation."""
    items = []
    for line, fenced in lines_outside_fences(text):
        if fenced or _HR.match(line):
            continue
        match = _BULLET.match(line)
        if match:
            items.append(("ordered" if match.group("ordered") else "unordered", match.group("text")))
    return items


def headers(text: str) -> list[tuple[int, str]]:
    """ATX markdown headers as (level, text)."""
    found = []
    for line, fenced in lines_outside_fences(text):
        match = None if fenced else _HEADER.match(line)
        if match:
            found.append((len(match.group(1)), strip_inline(match.group(2)).strip()))
    return found


_BOLD_LINE = re.compile(r"^\s*(\*\*|__)(?P<text>.+?)\1\s*:?\s*$")
_LABEL = re.compile(r"^\s*(?:\*\*|__)?(?P<text>[^:\n]{1,80}?)(?:\*\*|__)?\s*:(?:\*\*|__)?(?:\s|$)")
_NUMBERING = re.compile(r"^(?:\d{1,2}[.)]|[ivx]{1,4}[.)])\s+", re.IGNORECASE)


def normalise_heading(text: str) -> str:
    text = strip_inline(text).strip().rstrip(":").strip()
    text = _NUMBERING.sub("", text)
    return " ".join(text.split()).casefold()


def sections(text: str) -> list[tuple[str, str]]:
    """(normalised title, body) of each section. A section opens at a markdown header, a
    line that is all bold, or a ``Label:`` line (the label is the title and the rest of
    the line starts the body); its body runs to the next section's opening line."""
    found: list[tuple[str, list[str]]] = []
    for line, fenced in lines_outside_fences(text):
        opened = None
        if not fenced:
            for pattern, group in ((_HEADER, 2), (_BOLD_LINE, "text"), (_LABEL, "text")):
                opened = pattern.match(line)
                if opened:
                    rest = line[opened.end():] if pattern is _LABEL else ""
                    found.append((normalise_heading(opened.group(group)), [rest]))
                    break
        if not opened and found:
            found[-1][1].append(line)
    return [(title, "\n".join(body).strip()) for title, body in found]


def section_titles(text: str) -> list[str]:
    return [title for title, _ in sections(text)]


_PLACEHOLDER = re.compile(r"(?<!!)\[([^\[\]\n]{1,60})\](?!\()")


def placeholders(text: str) -> list[str]:
    """``[something]`` holding a letter; markdown links, images and task boxes are not placeholders."""
    found = []
    for line, fenced in lines_outside_fences(text):
        if fenced:
            continue
        bullet = _BULLET.match(line)
        if bullet:
            line = _TASK_BOX.sub("", bullet.group("text"))
        found += [m.group(1) for m in _PLACEHOLDER.finditer(line) if re.search(r"[^\W\d_]", m.group(1))]
    return found


# Frequent function words per language. A word listed for several languages counts for
# each; the distinctive ones decide. Kept short on purpose: the heuristic only has to tell
# these languages apart in answers of a few sentences.
STOPWORDS: dict[str, frozenset[str]] = {
    "en": frozenset("the and is are of to in that it with for this you was be on not have they what which your can will from there their would about when".split()),
    "fr": frozenset("le la les des est et une un du de que qui pour dans pas sur avec vous nous ce cette sont mais ou au aux leur très être plus il elle".split()),
    "es": frozenset("el la los las es y una un del de que por para con no se como pero más muy está son su sus al lo este esta también hay porque".split()),
    "de": frozenset("der die das und ist nicht ein eine mit zu den dem von auf für sich auch es sie wir ich sind wird werden oder aber bei nach wie im".split()),
    "it": frozenset("il lo la gli le di che e è un una per con non sono del della anche come più questo molto ma nel alla si".split()),
    "pt": frozenset("o a os as de que e é um uma do da em para com não por mais como mas são está muito também seu sua no na".split()),
}
LANGUAGE_NAMES = {"en": "English", "fr": "French", "es": "Spanish", "de": "German", "it": "Italian", "pt": "Portuguese"}
MIN_STOPWORD_SHARE = 0.15


def language_scores(text: str) -> tuple[int, dict[str, float]]:
    """The number of words and, per language, the share of them that are its stopwords."""
    tokens = [t.strip(".,;:!?\"'()[]«»“”‘’¿¡").casefold() for t in words(text)]
    tokens = [t.replace("’", "'") for t in tokens if t]
    if not tokens:
        return 0, {lang: 0.0 for lang in STOPWORDS}
    return len(tokens), {lang: sum(t in listed for t in tokens) / len(tokens) for lang, listed in STOPWORDS.items()}
