"""The shapes of the plugins that are not classes to subclass: drivers and reporters.

Core calls them through these protocols only; a plugin's object needs the methods, not
an inheritance from anything here (``typing.Protocol``, checked by type checkers; core
reads the optional members with a default, so they are not runtime-checkable).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, Protocol

if TYPE_CHECKING:
    from benchlab.model import ChatResponse, RunRecord, Scenario
    from benchlab.runner import Session


class Driver(Protocol):
    """How a scenario is played (``register_drivers``; a scenario names it with ``"driver"``).

    ``play`` talks to the endpoint only through ``session``: ``session.request(messages)``
    builds a request with the run's sampling, thinking and limits, ``await session.send(request)``
    sends it with the run's retries and time budget (raising ``ScenarioAborted`` when they
    run out; let it propagate), and ``session.turns`` keeps every exchange for the verifier.
    It returns the response the verifier judges. ``play`` is also how proofs and the
    negative control replay recorded answers, so it must not assume a live server.

    ``multi_turn`` (optional, default false): the driver lets the model answer several
    times (an agent loop), so the negative control also feeds it junk that never stops
    calling tools. A driver that declares ``multi_turn = False`` sends the one request
    ``session.request()`` builds: ``rescore`` checks its saved request against that directly,
    and plays any other driver on the saved answers to see what it would send.
    """

    multi_turn: ClassVar[bool]

    async def play(self, scenario: Scenario, session: Session) -> ChatResponse:
        ...


class Reporter(Protocol):
    """A view of a finished run (``register_reporters``). Both methods are optional.

    ``render(record) -> str``: the text ``--format NAME`` prints on stdout; a reporter whose
    text grows with the run may also give ``render_chunks(record)``, the same text as an
    iterable of pieces, which is printed instead (never held whole).
    ``write(record, run_dir)``: files it adds to the run's folder (``report.md``...); it is
    called for every registered reporter after ``run.json`` is written, and a failure is a
    warning, never the end of the run. ``record.results`` are summaries: the raw exchanges
    are in ``run_dir``'s journal (``benchlab.api.JournalReader``). Model output is untrusted
    text: escape it for the format you write.
    ``write_comparison(comparison, heading, folder)`` and ``write_ladder(run_dir)`` (also
    optional): files for a comparison's folder and a ladder run's folder, at their end.
    """

    def render(self, record: RunRecord) -> str:
        ...

    def write(self, record: RunRecord, run_dir: Path) -> None:
        ...
