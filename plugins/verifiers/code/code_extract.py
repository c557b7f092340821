"""Pulling the program out of an answer, for the ``code_exec`` verifier.

The answer is the content with reasoning removed (``<think>`` blocks, as
``answer_text`` does, but keeping the first line's indentation). Then, in order:

1. **Fenced blocks.** Every closed fenced block (```` ``` ```` or ``~~~``, three or
   more, an optional info string whose first word is the language tag). The
   candidates are the blocks tagged with the scenario's language (its aliases count:
   ``py``, ``js``, ``c++``, ``rs``, ``golang``, ``sh``...); when none is tagged so,
   the untagged blocks. Blocks tagged with another language (``text``, ``console``,
   ``json``, another programming language) are never run. With ``defines`` (a name
   the program must define), the last candidate that defines it wins; otherwise, or
   when none does, the last candidate: models put the final version last.
2. **An unclosed fence** (an opening fence of our language, or untagged, that never
   closes): everything after it. A model that forgets the closing fence still wrote
   the program; a cut-off answer is failed by the runner (``token_limit``) anyway.
3. **The whole answer**, when it has no fence at all and looks like a program in the
   language: for Python it parses (``ast``) and holds a ``def``, ``class`` or
   ``import``, or it is an indented function body (continuing a prelude); for the
   other languages its first non-blank line opens like a program in that language
   (``#include``, ``function``, ``fn``, ``func``, ``public class``, ``#!``...).
4. Otherwise there is no program: the ``extract`` check fails, saying what was seen.

Blank lines around the program are dropped, but not the indentation of its first
line (an indented Python body continues the scenario's prelude).
"""

from __future__ import annotations

import ast
import re

import attrs

from benchlab.model import ChatResponse
from benchlab.plugins.verifiers.fences import scan_fences
from benchlab.reasoning import split_think

# Fence tags (lower case) that mean each language.
LANGUAGE_TAGS: dict[str, tuple[str, ...]] = {
    "python": ("python", "py", "python3", "py3"),
    "javascript": ("javascript", "js", "node", "nodejs", "cjs", "mjs"),
    "c": ("c", "h"),
    "cpp": ("cpp", "c++", "cc", "cxx", "hpp"),
    "java": ("java",),
    "rust": ("rust", "rs"),
    "go": ("go", "golang"),
    "shell": ("bash", "sh", "shell"),
}


# How a definition of NAME looks in each language (used only to choose among blocks).
_DEFINES: dict[str, str] = {
    "python": r"^\s*(?:async\s+)?(?:def|class)\s+{name}\b|^{name}\s*=",
    "javascript": r"\b(?:function\s*\*?\s*{name}\b|(?:const|let|var|class)\s+{name}\b)",
    "c": r"\b{name}\s*\([^;{{]*\)\s*\{{",
    "cpp": r"\b{name}\s*\([^;{{]*\)\s*(?:const\s*)?\{{",
    "java": r"\b(?:class|interface|enum|record)\s+{name}\b|\b{name}\s*\([^;{{]*\)\s*(?:throws[^{{]*)?\{{",
    "rust": r"\bfn\s+{name}\b|\b(?:struct|enum|trait)\s+{name}\b",
    "go": r"\bfunc\s+(?:\([^)]*\)\s*)?{name}\b|\btype\s+{name}\b",
    "shell": r"^\s*(?:function\s+)?{name}\s*(?:\(\s*\))?\s*\{{",
}

# How the first line of a bare (unfenced) program may open, per language but Python.
_OPENERS: dict[str, str] = {
    "javascript": r"(?:'use strict'|\"use strict\"|(?:async\s+)?function\b|const\b|let\b|var\b|class\b|module\.exports|exports\.|//|/\*|export\b)",
    "c": r"(?:#\s*include|#\s*define|(?:static\s+|const\s+|unsigned\s+|struct\s+)*(?:int|void|long|char|double|float|bool|size_t|struct)\b|//|/\*)",
    "cpp": r"(?:#\s*include|#\s*define|using\b|namespace\b|template\b|class\b|struct\b|(?:static\s+|const\s+|unsigned\s+)*(?:int|void|long|char|double|float|bool|auto|std::)\b|//|/\*)",
    "java": r"(?:import\b|package\b|(?:public\s+|final\s+|abstract\s+)*(?:class|interface|enum|record)\b|//|/\*)",
    "rust": r"(?:use\b|(?:pub\s+)?(?:fn|struct|enum|impl|trait|mod|const|static)\b|#\[|//|/\*)",
    "go": r"(?:package\b|import\b|func\b|type\b|//|/\*)",
    "shell": r"(?:#!|[A-Za-z_][A-Za-z0-9_]*\s*\(\s*\)|function\b|set\s+-|#)",
}


@attrs.frozen
class Extracted:
    """The program (None when the answer holds none) and how it was found, for the check's detail."""

    code: str | None
    how: str


def trim_blank_lines(code: str) -> str:
    """Drop blank lines around the code and trailing spaces, keeping the first line's indentation."""
    lines = code.splitlines()
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    return "\n".join(line.rstrip() for line in lines) + ("\n" if lines else "")


def defines(code: str, language: str, name: str) -> bool:
    pattern = _DEFINES[language].format(name=re.escape(name))
    return re.search(pattern, code, re.MULTILINE) is not None


def looks_like_program(text: str, language: str) -> bool:
    """Whether an answer without fences is itself a program in ``language`` (rule 3)."""
    if language == "python":
        return _python_program(text)
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return re.match(_OPENERS[language], first) is not None


def _python_program(text: str) -> bool:
    first = next((line for line in text.splitlines() if line.strip()), "")
    if first[:1] in (" ", "\t"):
        # An indented body: it must parse once wrapped in a function.
        wrapped = "def _benchlab_body():\n" + text
        try:
            ast.parse(wrapped)
        except (SyntaxError, ValueError, MemoryError, RecursionError):
            return False
        return True
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return False
    kinds = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom)
    return any(isinstance(node, kinds) for node in tree.body)


def extract_code(response: ChatResponse, language: str, name: str | None = None) -> Extracted:
    """The program in ``response`` by the rules of the module docstring."""
    text = split_think(response.content or "")[0].lstrip("\ufeff")
    if not text.strip():
        return Extracted(None, "the answer is empty")
    tags = LANGUAGE_TAGS[language]
    blocks, unclosed = scan_fences(text)
    ours = [b for b in blocks if b.lang in tags] or [b for b in blocks if not b.lang]
    ours = [b for b in ours if b.body.strip()]
    if ours:
        chosen = ours[-1]
        if name is not None:
            chosen = next((b for b in reversed(ours) if defines(b.body, language, name)), chosen)
        where = f"```{chosen.lang}" if chosen.lang else "an untagged block"
        position = f"block {ours.index(chosen) + 1} of {len(ours)}" if len(ours) > 1 else "the only block"
        return Extracted(trim_blank_lines(chosen.body), f"{where} ({position})")
    if unclosed is not None and (unclosed.lang in tags or not unclosed.lang) and unclosed.body.strip():
        return Extracted(trim_blank_lines(unclosed.body), "an unclosed fence (everything after it)")
    if blocks:
        seen = ", ".join(sorted({f"```{b.lang}" if b.lang else "empty blocks" for b in blocks}))
        return Extracted(None, f"no {language} code block (found {seen})")
    if looks_like_program(text, language):
        return Extracted(trim_blank_lines(text), "the whole answer (no fences)")
    return Extracted(None, f"no code block, and the answer is not a {language} program")
