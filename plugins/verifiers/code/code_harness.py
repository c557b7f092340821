"""How ``code_exec`` turns (prelude, the model's code, hidden tests) into a program per language.

Every harness does the same four things, in the language's own terms:

1. read the run's secret sentinel from ``.benchlab-sentinel`` and delete the file
   before any of the model's code runs, keeping it out of the model's namespace; the
   files holding the hidden tests (or the source they were compiled from) go too,
   so the model's program cannot simply read its tests;
2. load the model's code (compile it, or import it as a module) and print the
   *loaded* marker, so a compile or import failure is told apart from a failed test;
3. run the hidden tests, which see the model's top-level definitions;
4. print the sentinel on a line of its own and exit 0 at once (at-exit handlers and
   destructors of the model's code cannot turn a finished run into a failure, nor
   the reverse).

A program that exits early, crashes, or fails a test never prints the sentinel, or
exits non-zero; the verifier requires both the sentinel line and exit status 0.

What the ``tests`` parameter is, per language:

* ``python``: statements run after the solution, in a copy of the solution module's
  namespace (``assert f(1) == 2``; or ``def check(candidate): ...`` then ``check(f)``)
  where names the answer bound over builtins are the builtins again (but ``defines``).
  The solution is imported as module ``solution``, so ``if __name__ == "__main__":``
  demo blocks do not run.
* ``javascript``: a CommonJS module (``tests.js``) run with Node's built-in test
  runner (``node:test``: ``test("name", () => ...)``; ``node:assert``); the
  solution ran before it as a script, so its top-level functions, classes and
  constants are globals, and whatever it put in ``module.exports`` is the global
  ``solution``. ``export`` keywords at the start of a line are dropped.
* ``c`` / ``cpp``: code after the solution that defines ``void run_tests(void)``
  (``assert`` is available); a ``main`` in the solution is renamed out of the way.
* ``java``: a class ``Tests`` (not public) with ``static void run()``; imports of
  the solution and the tests are hoisted, ``package`` lines dropped, ``public``
  removed from top-level types so everything fits one file; ``assert`` is enabled.
* ``rust``: the body of a module that ``use super::*``-s the solution and defines
  ``fn run_tests()`` (``assert_eq!``); a top-level ``fn main`` in the solution is renamed.
* ``go``: declarations defining ``func runTests()`` (``panic`` on failure); the
  imports of both are merged, the solution's ``package`` clause dropped and its
  ``func main`` renamed.
* ``shell``: a bash script run after the solution was saved as ``solution.sh``; it
  runs (``bash solution.sh ARGS``) or sources it, and ``exit 1`` on a failure.

The answer runs in the tests' process, so the harnesses also keep it from disarming them:
Python and JavaScript take what they rely on before it loads (docs/verifiers-code.md,
"Disarming the tests"), and ``refusal`` turns away a Go answer that redeclares a
predeclared name the tests use.

Known limit: the sentinel protects against early exits and forged success lines,
not against a program that deliberately inspects the harness (its own process's
memory or stack frames) to find the token, nor against code that runs before the
harness's ``main`` (a Go ``init``, a C/C++ constructor) and reads the sentinel file.
The sandbox contains such a program all the same.
"""

from __future__ import annotations

import re

import attrs

from benchlab.sandbox import Limits
from benchlab.sandbox_programs import program_command

SENTINEL_FILE = ".benchlab-sentinel"


@attrs.frozen
class Program:
    """Files for the work dir and the argv that builds and runs them."""

    files: dict[str, str]
    command: list[str]
    toolchain: str
    env: dict[str, str] = attrs.field(factory=dict)


def build_program(language: str, *, prelude: str, code: str, tests: str, sentinel: str, loaded: str, limits: Limits,
                  defines: str | None = None) -> Program:
    """The program that loads ``code`` (after ``prelude``) and runs ``tests`` against it.

    ``defines`` names the entry point the tests call; Python's tests see it even when it
    shadows a builtin."""
    files = {SENTINEL_FILE: sentinel + "\n"}
    if language == "python":
        program = _python(prelude, code, tests, loaded, limits, keep=(defines,) if defines else ())
    else:
        program = _BUILDERS[language](prelude, code, tests, loaded, limits)
    return attrs.evolve(program, files={**files, **program.files})


def _join(*parts: str) -> str:
    return "\n".join(part.rstrip("\n") for part in parts if part) + "\n"


# -- python --------------------------------------------------------------------------------

_PYTHON_MAIN = '''\
import builtins as _builtins
import os as _os
import sys as _sys
import types as _types


# Everything used once the answer has run is bound here, as defaults, before it runs: the answer
# can rebind builtins, os.write or this module's globals, but not these.
def _benchlab_main(compile=compile, exec=exec, open=open, write=_os.write, leave=_os._exit, flush=_sys.stdout.flush,
                   settrace=_sys.settrace, setprofile=_sys.setprofile, real=_builtins.__dict__,
                   pristine=dict(_builtins.__dict__), keep={keep!r}):
    with open("{sentinel}", encoding="ascii") as handle:
        token = handle.read().strip()
    _os.unlink("{sentinel}")
    with open("tests.py", encoding="utf-8") as handle:
        tests = handle.read()
    _os.unlink("tests.py")
    module = _types.ModuleType("solution")
    module.__file__ = _os.path.abspath("solution.py")
    _sys.modules["solution"] = module
    with open("solution.py", encoding="utf-8") as handle:
        source = handle.read()
    exec(compile(source, "solution.py", "exec"), module.__dict__)
    _sys.stdout.flush()
    flush()
    write(1, b"\\n{loaded}\\n")
    settrace(None)
    setprofile(None)
    # Undo what the answer did to the builtins module (its own functions see the real ones again) ...
    for name in [name for name in real if name not in pristine]:
        del real[name]
    real.update(pristine)
    # ... and run the tests in a namespace of their own, on a private copy of the builtins, where a
    # name the answer rebound over a builtin (``tuple = ...``) is the builtin again, unless the tests
    # need it from the answer (``keep``: the entry point).
    namespace = module.__dict__.copy()
    for name in [name for name in namespace if name in pristine and name[:2] != "__" and name not in keep]:
        del namespace[name]
    namespace["__builtins__"] = pristine.copy()
    exec(compile(tests, "tests.py", "exec", dont_inherit=True, optimize=0), namespace)
    _sys.stdout.flush()
    flush()
    write(1, ("\\n" + token + "\\n").encode("ascii"))
    leave(0)


_benchlab_main()
'''


def _python(prelude: str, code: str, tests: str, loaded: str, limits: Limits, keep: tuple[str, ...] = ()) -> Program:
    # The prelude ends where the answer continues: an indented body completes its last function.
    solution = (prelude.rstrip("\n") + "\n" + code) if prelude.strip() else code
    main = _PYTHON_MAIN.format(sentinel=SENTINEL_FILE, loaded=loaded, keep=tuple(keep))
    files = {"benchlab_main.py": main, "solution.py": solution, "tests.py": tests}
    return Program(files, program_command("python", "benchlab_main.py", limits=limits), "python")


# -- javascript ----------------------------------------------------------------------------

_JS_MAIN = """\
'use strict';
const benchlabFs = require('fs');
const benchlabVm = require('vm');
// Everything the verdict depends on is taken here, before the answer runs: it can patch
// require()'s modules, process and the globals, but not these references.
const benchlabNodeTest = require('node:test');
const benchlabTest = benchlabNodeTest.test;
const benchlabApply = Reflect.apply;
const benchlabPromise = Promise;
const benchlabWrite = process.stdout.write.bind(process.stdout);
const benchlabRequire = require;
const benchlabCompile = benchlabVm.compileFunction;
// node:test reports a failure by setting process.exitCode. Where the property can be redefined
// (Node 18), make it an accessor that remembers any failure, and that the answer cannot redefine.
let benchlabFailed = false;
let benchlabTrapped = false;
if (Object.getOwnPropertyDescriptor(process, 'exitCode').configurable) {{
  let benchlabExitCode = process.exitCode;
  Object.defineProperty(process, 'exitCode', {{
    get() {{ return benchlabExitCode; }},
    set(value) {{ benchlabExitCode = value; if (value) benchlabFailed = true; }},
    enumerable: true, configurable: false,
  }});
  benchlabTrapped = true;
}}
// The tests count themselves: each test() / it() they declare, and each whose callback completed.
let benchlabDeclared = 0;
let benchlabPassed = 0;
function benchlabCounting(register) {{
  return function (...args) {{
    const fn = args[args.length - 1];
    if (typeof fn === 'function') {{
      benchlabDeclared += 1;
      args[args.length - 1] = async function (context) {{
        if (fn.length >= 2) {{
          await new benchlabPromise((resolve, reject) =>
            benchlabApply(fn, this, [context, (error) => (error ? reject(error) : resolve())]));
        }} else {{
          await benchlabApply(fn, this, [context]);
        }}
        benchlabPassed += 1;
      }};
    }}
    return benchlabApply(register, this, args);
  }};
}}
const benchlabTestsNodeTest = Object.freeze({{ ...benchlabNodeTest, test: benchlabCounting(benchlabTest),
  it: benchlabCounting(benchlabNodeTest.it) }});
const benchlabModules = {{ __proto__: null }};
for (const name of ['assert', 'assert/strict']) {{
  const exported = require(name);
  Object.freeze(exported);
  benchlabModules[name] = benchlabModules['node:' + name] = exported;
}}
benchlabModules['node:test'] = benchlabTestsNodeTest;
const benchlabTestsRequire = (name) => benchlabModules[name] || benchlabRequire(name);
const benchlabToken = benchlabFs.readFileSync('{sentinel}', 'utf8').trim();
benchlabFs.unlinkSync('{sentinel}');
const benchlabTests = benchlabFs.readFileSync('tests.js', 'utf8');
benchlabFs.unlinkSync('tests.js');
const benchlabModule = {{ exports: {{}} }};
Object.assign(globalThis, {{ module: benchlabModule, exports: benchlabModule.exports, require,
  __filename: '/box/solution.js', __dirname: '/box' }});
benchlabVm.runInThisContext(benchlabFs.readFileSync('solution.js', 'utf8'), {{ filename: 'solution.js' }});
globalThis.solution = benchlabModule.exports;
benchlabWrite('\\n{loaded}\\n');
// tests.js as a CommonJS module, compiled from memory (the file is gone).
const benchlabTestsModule = {{ exports: {{}} }};
benchlabCompile(benchlabTests, ['exports', 'require', 'module', '__filename', '__dirname'], {{ filename: '/box/tests.js' }})
  (benchlabTestsModule.exports, benchlabTestsRequire, benchlabTestsModule, '/box/tests.js', '/box');
// Runs after every other test: every declared test completed, and node:test saw no failure.
benchlabTest('benchlab: the tests ran to the end', () => {{
  const failed = benchlabTrapped ? benchlabFailed : Boolean(process.exitCode);
  if (!failed && benchlabPassed === benchlabDeclared) benchlabWrite('\\n' + benchlabToken + '\\n');
}});
"""

_JS_EXPORT = re.compile(r"^export\s+(?:default\s+)?(?=(?:async\s+)?function\b|class\b|const\b|let\b|var\b)", re.MULTILINE)


def _javascript(prelude: str, code: str, tests: str, loaded: str, limits: Limits) -> Program:
    solution = _join(prelude, _JS_EXPORT.sub("", code))
    main = _JS_MAIN.format(sentinel=SENTINEL_FILE, loaded=loaded)
    files = {"benchlab_main.js": main, "solution.js": solution, "tests.js": tests}
    return Program(files, program_command("node", "benchlab_main.js", limits=limits), "node")


# -- c and c++ -----------------------------------------------------------------------------

_C_HEADERS = {
    "c": "#include <assert.h>\n#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\n#include <unistd.h>\n",
    "cpp": "#include <cassert>\n#include <cstdio>\n#include <cstdlib>\n#include <cstring>\n#include <unistd.h>\n",
}

_C_MAIN = """\
#line 1 "benchlab_main"
int main(void) {{
    char benchlab_token[128] = {{0}};
    FILE *benchlab_file = fopen("{sentinel}", "r");
    if (benchlab_file == NULL || fgets(benchlab_token, sizeof benchlab_token, benchlab_file) == NULL) return 120;
    fclose(benchlab_file);
    unlink("{sentinel}");
    unlink("{source}");
    benchlab_token[strcspn(benchlab_token, "\\n")] = 0;
    printf("\\n{loaded}\\n");
    fflush(stdout);
    run_tests();
    fflush(stdout);
    printf("\\n%s\\n", benchlab_token);
    fflush(stdout);
    _exit(0);
}}
"""


def _c_family(language: str) -> object:
    def build(prelude: str, code: str, tests: str, loaded: str, limits: Limits) -> Program:
        declaration = "void run_tests(void);" if language == "c" else "void run_tests();"
        source = _join(
            _C_HEADERS[language],
            prelude,
            # The model may bring its own main (a demo): rename it, ours runs the tests.
            "#define main benchlab_model_main",
            '#line 1 "solution"',
            code,
            "#undef main",
            # Re-arm assert for the tests whatever the answer defined (assert.h is meant to be re-included).
            "#undef assert\n#undef NDEBUG\n#include <assert.h>",
            declaration,
            '#line 1 "tests"',
            tests,
            _C_MAIN.format(sentinel=SENTINEL_FILE, loaded=loaded, source="main.c" if language == "c" else "main.cpp"),
        )
        name = "main.c" if language == "c" else "main.cpp"
        return Program({name: source}, program_command(language, name, limits=limits), language)

    return build


# -- java ----------------------------------------------------------------------------------

_JAVA_IMPORT = re.compile(r"^[ \t]*import\s+(?:static\s+)?[\w.]+(?:\.\*)?\s*;[ \t]*$\n?", re.MULTILINE)
_JAVA_PACKAGE = re.compile(r"^[ \t]*package\s+[\w.]+\s*;[ \t]*$\n?", re.MULTILINE)
_JAVA_PUBLIC_TYPE = re.compile(
    r"^public\s+(?=(?:(?:final|abstract|sealed|non-sealed|strictfp)\s+)*(?:class|interface|enum|record|@interface)\b)",
    re.MULTILINE,
)

_JAVA_MAIN = """\
public class BenchlabMain {{
    public static void main(String[] args) throws Throwable {{
        java.nio.file.Path benchlabPath = java.nio.file.Paths.get("{sentinel}");
        String benchlabToken = new String(java.nio.file.Files.readAllBytes(benchlabPath), java.nio.charset.StandardCharsets.US_ASCII).trim();
        java.nio.file.Files.delete(benchlabPath);
        java.nio.file.Files.delete(java.nio.file.Paths.get("BenchlabMain.java"));
        System.out.println();
        System.out.println("{loaded}");
        System.out.flush();
        Tests.run();
        System.out.flush();
        System.out.println();
        System.out.println(benchlabToken);
        System.out.flush();
        Runtime.getRuntime().halt(0);
    }}
}}
"""


def _java(prelude: str, code: str, tests: str, loaded: str, limits: Limits) -> Program:
    parts = [prelude, code, tests]
    imports: list[str] = []
    for part in parts:
        for match in _JAVA_IMPORT.finditer(part):
            line = " ".join(match.group(0).split())
            if line not in imports:
                imports.append(line)
    bodies = [_JAVA_PUBLIC_TYPE.sub("", _JAVA_IMPORT.sub("", _JAVA_PACKAGE.sub("", part))) for part in parts]
    source = _join("\n".join(imports), *bodies, _JAVA_MAIN.format(sentinel=SENTINEL_FILE, loaded=loaded))
    command = program_command("java", "BenchlabMain.java", limits=limits)
    return Program({"BenchlabMain.java": source}, command, "java", {"JDK_JAVA_OPTIONS": "-ea"})


# -- rust ----------------------------------------------------------------------------------

_RUST_INNER_ATTR = re.compile(r"^#!\[[^\n]*\]\s*$\n?", re.MULTILINE)
_RUST_MAIN_FN = re.compile(r"^(pub(?:\([\w:]+\))?\s+)?fn\s+main\s*\(", re.MULTILINE)

_RUST_MAIN = """\
fn main() {{
    let benchlab_path = "{sentinel}";
    let benchlab_token = ::std::fs::read_to_string(benchlab_path).expect("the sentinel file");
    ::std::fs::remove_file(benchlab_path).expect("the sentinel file");
    let _ = ::std::fs::remove_file("main.rs");
    println!("\\n{loaded}");
    benchlab_tests::benchlab_run();
    {{
        use ::std::io::Write;
        let _ = ::std::io::stdout().flush();
    }}
    println!("\\n{{}}", benchlab_token.trim());
    {{
        use ::std::io::Write;
        let _ = ::std::io::stdout().flush();
    }}
    ::std::process::exit(0);
}}
"""


# The tests' assertion macros by absolute path: an answer's macro_rules! assert_eq would
# otherwise shadow std's (textual macro scope wins over the prelude).
_RUST_STD_MACRO = re.compile(r"(?<![\w:])(assert|assert_eq|assert_ne|debug_assert|debug_assert_eq|debug_assert_ne|panic|unreachable)!")


def _rust(prelude: str, code: str, tests: str, loaded: str, limits: Limits) -> Program:
    attributes = [m.group(0).strip() for part in (prelude, code) for m in _RUST_INNER_ATTR.finditer(part)]
    solution = _RUST_MAIN_FN.sub("fn benchlab_model_main(", _RUST_INNER_ATTR.sub("", code))
    source = _join(
        "#![allow(dead_code, unused_imports, unused_variables, unused_mut)]",
        *dict.fromkeys(attributes),
        _RUST_INNER_ATTR.sub("", prelude),
        solution,
        "mod benchlab_tests {\n#![allow(unused_imports)]\nuse super::*;",
        _RUST_STD_MACRO.sub(r"::std::\1!", _RUST_INNER_ATTR.sub("", tests)),
        "pub(crate) fn benchlab_run() { run_tests() }\n}",
        _RUST_MAIN.format(sentinel=SENTINEL_FILE, loaded=loaded),
    )
    return Program({"main.rs": source}, program_command("rust", "main.rs", limits=limits), "rust")


# -- go ------------------------------------------------------------------------------------

_GO_PACKAGE = re.compile(r"^\s*package\s+\w+\s*;?[ \t]*$\n?", re.MULTILINE)
_GO_SKIP = re.compile(r"(?:\s+|//[^\n]*|/\*.*?\*/)+", re.DOTALL)
_GO_IMPORT_ONE = re.compile(r'import\s+((?:[\w.]+\s+)?"[^"\n]+")\s*;?')
_GO_IMPORT_GROUP = re.compile(r"import\s*\((.*?)\)\s*;?", re.DOTALL)
_GO_SPEC = re.compile(r'((?:[\w.]+\s+)?"[^"\n]+")')
_GO_MAIN_FN = re.compile(r"^func\s+main\s*\(", re.MULTILINE)

_GO_MAIN = """\
func main() {{
	benchlabData, benchlabErr := benchlabos.ReadFile("{sentinel}")
	if benchlabErr != nil {{
		benchlabos.Exit(120)
	}}
	benchlabos.Remove("{sentinel}")
	benchlabos.Remove("main.go")
	benchlabfmt.Println("\\n{loaded}")
	runTests()
	benchlabfmt.Println("\\n" + benchlabstrings.TrimSpace(string(benchlabData)))
	benchlabos.Exit(0)
}}
"""


def split_go_imports(source: str) -> tuple[list[str], str]:
    """(import specs such as ``"fmt"`` or ``m "math"``, the rest), the package clause dropped."""
    text = _GO_PACKAGE.sub("", source, count=1)
    specs: list[str] = []
    position = 0
    while True:
        skipped = _GO_SKIP.match(text, position)
        start = skipped.end() if skipped else position
        group = _GO_IMPORT_GROUP.match(text, start)
        single = _GO_IMPORT_ONE.match(text, start)
        if group:
            body = re.sub(r"//[^\n]*|/\*.*?\*/", "", group.group(1), flags=re.DOTALL)
            specs += [" ".join(s.split()) for s in _GO_SPEC.findall(body)]
            position = group.end()
        elif single:
            specs.append(" ".join(single.group(1).split()))
            position = single.end()
        else:
            return specs, text[position:]


def _go(prelude: str, code: str, tests: str, loaded: str, limits: Limits) -> Program:
    specs: list[str] = []
    bodies: list[str] = []
    for part in (prelude, code, tests):
        found, rest = split_go_imports(part)
        specs += [s for s in found if s not in specs]
        bodies.append(rest)
    bodies[1] = _GO_MAIN_FN.sub("func benchlabModelMain(", bodies[1])
    ours = ['benchlabfmt "fmt"', 'benchlabos "os"', 'benchlabstrings "strings"']
    imports = "import (\n" + "".join(f"\t{spec}\n" for spec in specs + ours) + ")"
    source = _join("package main", imports, *bodies, _GO_MAIN.format(sentinel=SENTINEL_FILE, loaded=loaded))
    return Program({"main.go": source}, program_command("go", "main.go", limits=limits), "go")


# Go's universe block: a package-level declaration of one of these names hides the builtin from
# every file of the package, the tests included (``func panic(v any) {}`` silences their failures).
GO_PREDECLARED = frozenset("""
    any bool byte comparable complex64 complex128 error float32 float64 int int8 int16 int32 int64 rune
    string uint uint8 uint16 uint32 uint64 uintptr true false iota nil append cap clear close complex copy
    delete imag len make max min new panic print println real recover
""".split())
_GO_LITERALS = re.compile(r"//[^\n]*|/\*.*?\*/|`[^`]*`|\"(?:\\.|[^\"\\\n])*\"|'(?:\\.|[^'\\\n])*'", re.DOTALL)
_GO_TOKEN = re.compile(r"[A-Za-z_]\w*|[(){}\[\];,\n]")


def go_package_names(source: str) -> list[str]:
    """The names ``source`` declares at package level (functions, not methods; vars, consts, types)."""
    tokens = _GO_TOKEN.findall(_GO_LITERALS.sub(lambda m: "\n" * m.group(0).count("\n") + '""', source))
    names: list[str] = []
    braces = parens = 0
    group = None  # "var"/"const"/"type" while inside a parenthesised declaration group
    spec_start = False
    for index, token in enumerate(tokens):
        following = tokens[index + 1] if index + 1 < len(tokens) else ""
        if token in "({[":
            braces += token == "{"
            parens += token in "(["
            continue
        if token in ")}]":
            braces -= token == "}"
            parens -= token in ")]"
            if group and parens == 0 and braces == 0:
                group = None
            continue
        if braces:
            continue
        if token in ("\n", ";"):
            spec_start = bool(group) and parens == 1
            continue
        if parens == 0 and token == "func" and following not in ("(", ""):
            names.append(following)
        elif parens == 0 and token in ("var", "const", "type"):
            if following == "(":
                group, spec_start = token, False
            else:
                names += _go_name_list(tokens, index + 1)
        elif spec_start:
            names += _go_name_list(tokens, index)
            spec_start = False
    return names


def _go_name_list(tokens: list[str], start: int) -> list[str]:
    names = [tokens[start]] if start < len(tokens) else []
    while start + 2 < len(tokens) and tokens[start + 1] == ",":
        start += 2
        names.append(tokens[start])
    return [name for name in names if re.fullmatch(r"[A-Za-z_]\w*", name)]


_C_ASSERT_HOOK = re.compile(r"\b__assert\w*")


def refusal(language: str, *, prelude: str, code: str, tests: str) -> str | None:
    """Why the answer is not run at all (it would disarm the tests), or None."""
    if language in ("c", "cpp"):
        hooks = sorted(set(_C_ASSERT_HOOK.findall(code)))
        if hooks:
            return (f"the program names glibc's assertion hook {', '.join(hooks)}, which would let it "
                    "silence the tests' failed asserts")
        return None
    if language != "go":
        return None
    used = set(_GO_TOKEN.findall(_GO_LITERALS.sub('""', prelude + "\n" + tests))) | {"string", "nil"}  # our main uses these
    hidden = sorted({name for name in go_package_names(code) if name in GO_PREDECLARED and name in used})
    if not hidden:
        return None
    return (f"the program redeclares Go's predeclared {', '.join(hidden)} at package level, hiding "
            f"{'it' if len(hidden) == 1 else 'them'} from the tests; rename {'it' if len(hidden) == 1 else 'them'}")


# -- shell ---------------------------------------------------------------------------------

_SHELL_MAIN = """\
benchlab_token=$(cat {sentinel}) && rm -f {sentinel} || exit 120
# bash goes on reading this script from its open descriptor once the file is gone.
rm -f benchlab_main.sh
printf '\\n%s\\n' '{loaded}'
"""


def _shell(prelude: str, code: str, tests: str, loaded: str, limits: Limits) -> Program:
    solution = _join(prelude, code)
    main = _SHELL_MAIN.format(sentinel=SENTINEL_FILE, loaded=loaded) + tests.rstrip("\n") + (
        '\nprintf \'\\n%s\\n\' "$benchlab_token"\nexit 0\n'
    )
    files = {"benchlab_main.sh": main, "solution.sh": solution}
    return Program(files, program_command("shell", "benchlab_main.sh", limits=limits), "shell")


_BUILDERS = {
    "python": _python,
    "javascript": _javascript,
    "c": _c_family("c"),
    "cpp": _c_family("cpp"),
    "java": _java,
    "rust": _rust,
    "go": _go,
    "shell": _shell,
}
