"""Backend ``replay``: answers from a JSONL file of recorded responses.

One line per response: ``{"scenario": "PACK/ID", "content": "..."}`` with
optional ``tool_calls`` (OpenAI format), ``reasoning`` and ``finish_reason``.
A scenario with several lines gets them in order, one per turn. ``"variant": NAME``
makes a line the answer to that prompt variant only; lines without it answer the
default prompt, and every variant that has no line of its own. For tests,
demos, and re-checking verifiers without a model.

Every line is checked when the backend starts, but only its place in the file is kept: an
answer is read again when it is played, so a run holds one recorded answer per request in
flight, not the whole file (10,000 answers of 6 KB were most of a run's memory), as a live
server's backend would.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any, BinaryIO, ClassVar

from benchlab.backends import Backend, BackendOptions
from benchlab.errors import BenchlabError, TransportError
from benchlab.jsonl import read_jsonl_at, read_jsonl_places
from benchlab.model import DEFAULT_VARIANT, ChatRequest, ChatResponse, FailureMode
from benchlab.recorded import FIELDS, response_from_record

_FIELDS = {*FIELDS, "schema_version", "variant"}


# Where a recorded line is in the file: its byte offset and length.
Place = tuple[int, int]


def read_replay_file(path: Path) -> dict[str, list[Place]]:
    """Each scenario's (and variant's) recorded lines, in order, by where they are in ``path``;
    every line is checked here, so a bad one stops the run before it starts."""
    if not path.is_file():
        raise BenchlabError(f"--replay {path}: {'a folder, not a file of recorded responses' if path.is_dir() else 'no such file'}")
    recorded: dict[str, list[Place]] = defaultdict(list)
    for lineno, offset, length, data in read_jsonl_places(path, "--replay"):
        if not isinstance(data, dict) or not isinstance(data.get("scenario"), str) or "/" not in data["scenario"]:
            raise BenchlabError(f"{path}:{lineno}: scenario: needs \"scenario\": \"PACK/ID\"")
        unknown = sorted(set(data) - _FIELDS)
        if unknown:
            raise BenchlabError(f"{path}:{lineno}: {unknown[0]}: unknown field")
        if not isinstance(data.get("content", ""), str):
            raise BenchlabError(f"{path}:{lineno}: content: expected a string")
        if not isinstance(data.get("tool_calls", []), list):
            raise BenchlabError(f"{path}:{lineno}: tool_calls: expected a list")
        variant = data.get("variant", DEFAULT_VARIANT)
        if not isinstance(variant, str) or not variant.strip():
            raise BenchlabError(f"{path}:{lineno}: variant: the name of a prompt variant")
        recorded[_line_key(data["scenario"], variant)].append((offset, length))
    if not recorded:
        raise BenchlabError(f"--replay {path}: the file holds no responses")
    return dict(recorded)


def _line_key(scenario: str, variant: str) -> str:
    return scenario if variant == DEFAULT_VARIANT else f"{scenario}#{variant}"


class ReplayBackend(Backend):
    """Plays back recorded responses; sends nothing anywhere."""

    name = "replay"
    takes_endpoint = False  # it answers from a file
    measures_speed = False
    setting_keys: ClassVar[tuple[str, ...] | None] = ()
    not_probeable: ClassVar[str] = ("it answers from a file of recorded responses, not from a server; "
                                    "use it with benchlab run --replay FILE")

    def __init__(self, options: BackendOptions) -> None:
        super().__init__(options)
        if not options.replay_file:
            raise BenchlabError("backend replay needs --replay FILE (a JSONL file of recorded responses)")
        self.path = Path(options.replay_file)
        self.recorded = read_replay_file(self.path)
        self.served: dict[str, int] = defaultdict(int)
        self._file: BinaryIO | None = None  # opened on the first answer played
        self.model = options.model or "replay"

    @property
    def endpoint_label(self) -> str | None:
        return f"replay:{self.path.name}"

    @property
    def default_concurrency(self) -> int:
        return self.options.concurrency or 8

    async def start(self) -> dict[str, Any]:
        return {"replay_file": str(self.path), "recorded_scenarios": len(self.recorded)}

    async def chat(self, request: ChatRequest) -> ChatResponse:
        own = _line_key(request.scenario, request.prompt_variant)
        lines = self.recorded.get(own) or self.recorded.get(request.scenario)
        if not lines:
            raise TransportError(FailureMode.HTTP_ERROR, f"{self.path.name} has no recorded response for {request.scenario}")
        turn = self.served[own]
        self.served[own] += 1
        try:
            if self._file is None:
                self._file = self.path.open("rb")
            data = read_jsonl_at(self._file, *lines[min(turn, len(lines) - 1)])
        except OSError as exc:
            raise TransportError(FailureMode.HTTP_ERROR, f"{self.path}: cannot read it ({exc.strerror or exc})") from None
        except BenchlabError as exc:
            raise TransportError(FailureMode.HTTP_ERROR, str(exc)) from None
        if not isinstance(data, dict) or data.get("scenario") != request.scenario:
            raise TransportError(FailureMode.HTTP_ERROR, f"{self.path}: the file changed since the run started")
        return response_from_record(data)

    async def aclose(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
