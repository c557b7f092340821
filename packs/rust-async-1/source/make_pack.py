"""Writes ../scenarios.jsonl and ../proofs.jsonl from the Rust sources in this folder.

Run it after editing a .rs file here (tests/test_rust_async_pack.py fails when the
committed files and the sources disagree): ``python packs/rust-async-1/source/make_pack.py``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).parent
PACK = HERE.parent
SCENARIO = "RA-01"
HARNESS_CHECKS = ["r02_max_4_in_flight", "r03_order", "r04_retries", "r05_backoff", "r06_timeout", "r13_status_is_error"]
NOT_COMMENT = r"^(?![ \t]*//)"
# An enum body, one level of nested braces allowed (struct-like variants).
ENUM_BODY = r"enum\s+FetchError\s*(?:<[^>]*>)?\s*\{(?:[^{}]|\{[^{}]*\})*?"
DOC = r"(?:///[^\n]*\n|/\*\*(?:[^*]|\*(?!/))*\*/\s*\n|#\[doc\s*=[^\n]*\n)"
ATTRS = r"(?:[ \t]*(?:///[^\n]*|//[^\n]*|#\[[^\n]*\])\n)*"

RULES = [
    {"name": "r01_signature", "any_of": [
        {"regex": r"pub\s+async\s+fn\s+fetch_all\s*<\s*C\s*:\s*(?:crate::)?HttpClient\s*>\s*\(\s*client\s*:\s*&\s*C\s*,\s*urls\s*:\s*Vec\s*<\s*String\s*>\s*,?\s*\)\s*->\s*Vec\s*<\s*Result\s*<\s*String\s*,\s*FetchError\s*>\s*>\s*\{"},
        {"regex": r"pub\s+async\s+fn\s+fetch_all\s*<\s*C\s*>\s*\(\s*client\s*:\s*&\s*C\s*,\s*urls\s*:\s*Vec\s*<\s*String\s*>\s*,?\s*\)\s*->\s*Vec\s*<\s*Result\s*<\s*String\s*,\s*FetchError\s*>\s*>\s*where\s+C\s*:\s*(?:crate::)?HttpClient\s*,?\s*\{"},
    ]},
    {"name": "r07_error_enum", "all_of": [
        {"regex": ENUM_BODY + r"\b\w*Time[dD]?[oO]ut\w*\b"},
        {"regex": ENUM_BODY + r"\b\w*(?:Status|Http)\w*\b"},
        {"regex": ENUM_BODY + r"\b\w*(?:Transport|Network|Connect|Connection|Io|Request)\w*\b"},
    ]},
    {"name": "r08_display_and_error", "all_of": [
        {"regex": r"impl\s+(?:::)?(?:(?:std|core)::)?(?:fmt::)?Display\s+for\s+FetchError\b"},
        {"regex": r"impl\s+(?:::)?(?:std::)?(?:error::)?Error\s+for\s+FetchError\b"},
    ]},
    {"name": "r09_no_unwrap_or_expect", "not_regex": NOT_COMMENT + r".*\.\s*(?:unwrap\s*\(\s*\)|expect\s*\()", "flags": "m"},
    {"name": "r10_no_unsafe", "not_regex": NOT_COMMENT + r".*\bunsafe\b", "flags": "m"},
    {"name": "r11_rustdoc", "all_of": [
        {"regex": DOC + ATTRS + r"[ \t]*pub\s+async\s+fn\s+fetch_all\b"},
        {"regex": DOC + ATTRS + r"[ \t]*pub\s+enum\s+FetchError\b"},
    ]},
    {"name": "r12_no_println", "not_regex": NOT_COMMENT + r".*\be?print(?:ln)?!", "flags": "m"},
    {"name": "r14_no_global_mutable_state", "not_regex": NOT_COMMENT + (
        r".*(?:\bstatic\s+mut\b|\blazy_static!|\bthread_local!|"
        r"\bstatic\s+[A-Za-z_]\w*\s*:[^=;]*\b(?:Mutex|RwLock|Atomic\w*|RefCell|Cell|OnceCell|OnceLock|Lazy|UnsafeCell)\b)"), "flags": "m"},
]

PROMPT = """Write a Rust function using tokio (1.24) and, if you like, the futures crate (0.3).

Your code is compiled as a module of a crate whose root already defines the following (do not repeat these definitions; they are in scope, and you may also import them with `use crate::{{...}}`):

```rust
{prelude}```

Write

```rust
pub async fn fetch_all<C: HttpClient>(client: &C, urls: Vec<String>) -> Vec<Result<String, FetchError>>
```

that fetches every URL and returns, for each, the body or the error. Rules:

1. exactly that signature;
2. at most 4 requests in flight at any time;
3. the results in the order of `urls`;
4. up to 3 retries per URL after a failed request;
5. a backoff of 250 ms, 500 ms and 1000 ms before the first, second and third retry;
6. a 10 second timeout on each request;
7. an error enum `FetchError` with at least a timeout variant, an HTTP-status variant and a transport variant;
8. `std::fmt::Display` and `std::error::Error` implemented for `FetchError`;
9. no `.unwrap()` and no `.expect(`;
10. no `unsafe`;
11. a rustdoc comment (`///`) on `fetch_all` and on `FetchError`;
12. no `println!` or `eprintln!`;
13. a status outside 2xx is an error, not a body;
14. no global mutable state;
15. it compiles under `#![deny(warnings)]`.

Answer with the complete code in one ```rust block: `FetchError`, its impls, `fetch_all` and any helpers; no `main` function."""


def rust(name: str) -> str:
    return (HERE / name).read_text()


def fenced(code: str) -> str:
    return f"Here is the implementation.\n\n```rust\n{code}```\n"


# name -> (check it fails, why, [(old, new)] applied to gold.rs)
GOLD = "proofs/gold.rs"
NEAR_MISSES = [
    ("r01_signature", "takes a slice of URLs instead of Vec<String>",
     [("client: &C, urls: Vec<String>)", "client: &C, urls: &[String])")]),
    ("r02_max_4_in_flight", "creates a semaphore of 4 permits but never acquires one: every request is in flight at once",
     [("    stream::iter(urls)\n        .map(|url| async move { fetch_one(client, &url).await })\n        .buffered(MAX_IN_FLIGHT)\n        .collect()\n        .await",
       "    let _limit = tokio::sync::Semaphore::new(MAX_IN_FLIGHT);\n    stream::iter(urls)\n        .map(|url| async move { fetch_one(client, &url).await })\n        .buffered(usize::MAX)\n        .collect()\n        .await")]),
    ("r03_order", "buffer_unordered: the results come in the order the requests finish",
     [(".buffered(MAX_IN_FLIGHT)", ".buffer_unordered(MAX_IN_FLIGHT)")]),
    ("r04_retries", "two retries instead of three",
     [("if attempt == BACKOFF_MS.len() {", "if attempt == BACKOFF_MS.len() - 1 {")]),
    ("r05_backoff", "waits 250 ms before every retry instead of doubling",
     [("Duration::from_millis(BACKOFF_MS[attempt])", "Duration::from_millis(BACKOFF_MS[0])")]),
    ("r06_timeout", "a 30 s timeout instead of 10 s",
     [("Duration::from_secs(10)", "Duration::from_secs(30)")]),
    ("r07_error_enum", "no timeout variant: a timeout is reported as a transport error",
     [("    /// No answer within the 10 s timeout.\n    Timeout,\n", ""),
      ("            FetchError::Timeout => write!(f, \"no answer within 10 s\"),\n", ""),
      ("Err(_) => FetchError::Timeout,", "Err(_) => FetchError::Transport(\"no answer within 10 s\".to_string()),")]),
    ("r08_display_and_error", "std::error::Error is not implemented",
     [("impl std::error::Error for FetchError {}\n", "")]),
    ("r09_no_unwrap_or_expect", "an unwrap on the body's bytes",
     [("=> return Ok(response.body),", "=> return Ok(String::from_utf8(response.body.into_bytes()).unwrap()),")]),
    ("r10_no_unsafe", "an unsafe block to skip a UTF-8 check",
     [("=> return Ok(response.body),", "=> return Ok(unsafe { String::from_utf8_unchecked(response.body.into_bytes()) }),")]),
    ("r11_rustdoc", "plain comments instead of a rustdoc comment on fetch_all",
     [("/// Fetches every URL with", "// Fetches every URL with"), ("/// three times (after", "// three times (after")]),
    ("r12_no_println", "logs each retry with eprintln!",
     [("        tokio::time::sleep(Duration::from_millis(BACKOFF_MS[attempt])).await;",
       "        eprintln!(\"retrying {} after {}\", url, error);\n        tokio::time::sleep(Duration::from_millis(BACKOFF_MS[attempt])).await;")]),
    ("r13_status_is_error", "returns the body whatever the status",
     [("Ok(Ok(response)) if (200..300).contains(&response.status) => return Ok(response.body),\n            Ok(Ok(response)) => FetchError::Status(response.status),",
       "Ok(Ok(response)) => return Ok(response.body),")]),
    ("r14_no_global_mutable_state", "counts attempts in a global atomic",
     [("const MAX_IN_FLIGHT: usize = 4;", "static ATTEMPTS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);\nconst MAX_IN_FLIGHT: usize = 4;"),
      ("    let mut attempt = 0;\n", "    let mut attempt = 0;\n    ATTEMPTS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);\n")]),
    ("r15_deny_warnings", "an unused import: a warning, an error under #![deny(warnings)]",
     [("use std::fmt;\n", "use std::fmt;\nuse std::collections::HashMap;\n")]),
]


def from_gold(replacements: list[tuple[str, str]]) -> str:
    code = rust(GOLD)
    for old, new in replacements:
        if old not in code:
            sys.exit(f"replacement not found in gold.rs: {old[:60]!r}")
        code = code.replace(old, new)
    return code


def scenario() -> dict:
    verifier = {"kind": "all", "of": [
        {"kind": "rubric", "rules": RULES},
        {"kind": "program_checks", "language": "rust", "prelude": rust("prelude.rs"), "tests": rust("harness.rs"),
         "checks": HARNESS_CHECKS, "lint_check": "r15_deny_warnings", "crates": ["tokio", "futures"],
         "defines": "fetch_all", "timeout_s": 30},
    ]}
    return {"id": SCENARIO, "messages": [{"role": "user", "content": PROMPT.format(prelude=rust("prelude.rs"))}],
            "verifier": verifier, "tags": ["rust", "async", "tokio"], "max_tokens": 4096}


def proofs() -> list[dict]:
    cases = [{"scenario": SCENARIO, "kind": "gold", "content": fenced(rust(GOLD))}]
    for name in ("alternative_semaphore.rs", "alternative_pow.rs"):
        cases.append({"scenario": SCENARIO, "kind": "alternative", "content": fenced(rust(f"proofs/{name}"))})
    # The backoff as a shift: 250 << 0, << 1, << 2.
    shifted = from_gold([("Duration::from_millis(BACKOFF_MS[attempt])", "Duration::from_millis(250 << attempt)")])
    cases.append({"scenario": SCENARIO, "kind": "alternative", "content": fenced(shifted)})
    for check, why, replacements in NEAR_MISSES:
        cases.append({"scenario": SCENARIO, "kind": "near_miss", "content": fenced(from_gold(replacements)),
                      "fails_check": check, "why": why})
    return cases


def render() -> dict[str, str]:
    line = lambda obj: json.dumps(obj, ensure_ascii=False) + "\n"  # noqa: E731
    return {"scenarios.jsonl": line(scenario()), "proofs.jsonl": "".join(line(c) for c in proofs())}


if __name__ == "__main__":
    for name, text in render().items():
        (PACK / name).write_text(text)
        print(f"wrote {PACK / name}")
