"""The harness: one mock server, a client command run once per case against its own session.

Each case gets a fresh :class:`~conformance.mock.Mock` seeded ``SEED:CASE`` (about 2 ms: the
spec, its validators and strategies are shared), served under its own prefix by one long-lived
server (:mod:`conformance.fuzz.session`); the command runs with the base URL and an API key in
the environment, under a timeout, and the run is judged (:mod:`conformance.fuzz.classify`).
Every exchange is written to the results file (JSON lines of the result model) as it was
served, so ``conformance fuzz replay CASE`` serves the same bytes again.

>>> client = Client(["python", "client.py", "{call}"], timeout=10)
>>> with Harness(spec, client, seed="1") as harness:  # doctest: +SKIP
...     for done in harness.run(plan("1", 20, calls=("chat", "chat-stream"))):
...         print(done.case.id, done.outcome.code or "ok", done.outcome.detail)
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from ..mock import Mock
from ..mock.server import MockServer
from ..results import Document, Result
from ..results.document import result_line, spec_info
from ..spec import Spec, load_spec
from .case import Case
from .classify import KINDS, TYPED, Outcome, Run, classify, code_of
from .session import Session, Sessions

__all__ = ["CLOCK", "CaseResult", "Client", "Harness", "case_code", "case_notes"]

# the sessions' "now": fixed, so a case's timestamps (created…) are the same bytes every time
CLOCK = 1_767_225_600.0  # 2026-01-01T00:00:00Z
_STDERR_KEPT = 2000


@dataclass(frozen=True)
class Client:
    """The client command: ``argv`` (``{call}`` in an argument is replaced by the case's call),
    the environment variables given the base URL and API key, the timeout in seconds.

    >>> Client(["node", "client.mjs", "{call}"]).argv_for("chat")
    ['node', 'client.mjs', 'chat']
    """

    argv: Sequence[str]
    timeout: float = 20.0
    base_url_env: str = "OPENAI_BASE_URL"
    api_key_env: str = "OPENAI_API_KEY"
    env: Mapping[str, str] = field(default_factory=dict)

    def argv_for(self, call: str) -> list[str]:
        """The command line of one case."""
        return [a.replace("{call}", call) for a in self.argv]

    def run(self, case: Case, base_url: str, *, cwd: str | None = None) -> Run:
        """Run the command once with the session's URL; kill its process group at the timeout."""
        env = {
            **os.environ,
            **self.env,
            self.base_url_env: base_url,
            self.api_key_env: f"sk-fuzz-{case.id}",
            "CONFORMANCE_FUZZ_CASE": case.id,
            "CONFORMANCE_FUZZ_CALL": case.call,
        }
        started = time.monotonic()
        try:
            process = subprocess.Popen(
                self.argv_for(case.call),
                env=env,
                cwd=cwd,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,
            )
        except OSError as exc:
            from ..errors import InputError

            raise InputError(f"cannot run {self.argv[0]!r}: {exc.strerror or exc}") from None
        timed_out = False
        try:
            out, err = process.communicate(timeout=self.timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            out, err = process.communicate()
        return Run(
            process.returncode,
            timed_out,
            out.decode("utf-8", "replace"),
            err.decode("utf-8", "replace"),
            time.monotonic() - started,
        )


def case_notes(result: Result) -> dict[str, str]:
    """The ``key: value`` notes of a case's summary result (``call``, ``profile``, ``faults``,
    ``exit``…).

    >>> case_notes(Result(None, notes=("call: chat", "exit: 0")))
    {'call': 'chat', 'exit': '0'}
    """
    pairs = (note.partition(": ") for note in result.notes)
    return {key: value for key, sep, value in pairs if sep}


def case_code(result: Result) -> str:
    """The outcome code of a case's summary result: its ``fuzz.*`` violation's (a results file
    written before the codes: read from its ``outcome``/``symptom`` notes); ``""`` when ok.

    >>> case_code(Result(None, violations=(Outcome("fuzz.hang").violation(),)))
    'fuzz.hang'
    """
    code = next((v.code for v in result.violations if v.code in KINDS), None)
    if code is not None:
        return code
    notes = case_notes(result)
    return code_of(notes.get("outcome", "ok"), notes.get("symptom", ""))


@dataclass(frozen=True)
class CaseResult:
    """One case run: the case, how the client ended, what its session served, the outcome."""

    case: Case
    run: Run
    records: tuple[Result, ...]
    outcome: Outcome
    argv: tuple[str, ...] = ()

    def results(self) -> list[Result]:
        """The case as results: each exchange (named ``case ID #N``), then its summary
        (named ``case ID``): the outcome as its one violation (:meth:`Outcome.violation`, none
        when ok; :func:`case_code` reads it), how the run went in its notes
        (:func:`case_notes`)."""
        exchanges = [
            replace(r, name=f"case {self.case.id} #{n}") for n, r in enumerate(self.records)
        ]
        about = (
            self.records[self.outcome.exchange]
            if 0 <= self.outcome.exchange < len(self.records)
            else None
        )
        notes = {
            "exchange": str(self.outcome.exchange),
            "call": self.case.call,
            "profile": self.case.profile,
            "faults": self.case.faults,
            "exit": "timeout" if self.run.timed_out else str(self.run.exit),
            "seconds": f"{self.run.seconds:.3f}",
            "argv": " ".join(self.argv),
            "stderr": self.run.stderr[-_STDERR_KEPT:],
        }
        operation = about.operation if about is not None else None
        verdict = self.outcome.violation(operation or "")
        summary = Result(
            operation,
            name=f"case {self.case.id}",
            notes=tuple(f"{k}: {v}" for k, v in notes.items()),
            violations=() if verdict is None else (verdict,),
        )
        return [*exchanges, summary]


class Harness:
    """Serves sessions on a free loopback port and runs ``client`` once per case.

    ``seed``, ``profile`` and ``faults`` are the run's (each case carries its own profile and
    faults, see :func:`~conformance.fuzz.case.plan`); ``oracle``: compare what the client
    prints with what was served; ``typed``/``loop``: see
    :func:`~conformance.fuzz.classify.classify`; ``results``: JSON lines written as cases end;
    ``jobs``: cases run at once.

    >>> with Harness(spec, Client(["python", "c.py"]), seed="1", results="fuzz.jsonl") as h:  # doctest: +SKIP
    ...     [done.outcome for done in h.run(cases)]
    """

    def __init__(
        self,
        spec: Spec | str | Path,
        client: Client,
        *,
        seed: str = "0",
        oracle: bool = False,
        typed: str = TYPED,
        loop: int = 5,
        results: str | Path | None = None,
        jobs: int = 1,
        settings: Mapping[str, Any] | None = None,
    ) -> None:
        self.spec = spec if isinstance(spec, Spec) else load_spec(spec)
        self.client = client
        self.seed = str(seed)
        self.oracle = oracle
        self.typed = typed
        self.loop = loop
        self.jobs = max(1, jobs)
        self.sessions = Sessions(self.spec, clock=lambda: CLOCK)
        self.server = MockServer(self.sessions)
        self.path = Path(results) if results is not None else None
        self.settings = {
            "producer": "fuzz",
            "seed": self.seed,
            "argv": list(client.argv),
            "timeout": client.timeout,
            "base_url_env": client.base_url_env,
            "api_key_env": client.api_key_env,
            "oracle": oracle,
            "typed": typed,
            "loop": loop,
            **(settings or {}),
        }
        self._file: IO[str] | None = None

    # -- lifetime ------------------------------------------------------------------------------

    def __enter__(self) -> Harness:
        self.server.start()
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = self.path.open("w", encoding="utf-8")
            head = Document(spec=spec_info(self.spec), run=self.settings)
            self._file.write(head.to_jsonl())
            self._file.flush()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.server.stop()
        if self._file is not None:
            self._file.close()
            self._file = None

    # -- cases ---------------------------------------------------------------------------------

    def session(self, case: Case, script: Iterable[Result] = ()) -> Session:
        """Open the case's session: a fresh mock seeded ``SEED:CASE`` with its profile and
        faults (``script``: recorded answers to serve first)."""
        mock = Mock(
            self.spec,
            seed=case.seed(self.seed),
            profile=case.profile,
            faults=case.faults or None,
            clock=lambda: CLOCK,
        )
        return self.sessions.open(f"c{case.id}", mock, script)

    def run_case(self, case: Case, script: Iterable[Result] = ()) -> CaseResult:
        """Run the client once against the case's session and judge it."""
        session = self.session(case, script)
        try:
            run = self.client.run(case, session.base_url(self.server.url))
        finally:
            self.sessions.close(session.id)
        records = tuple(session.records)
        outcome = classify(
            run,
            records,
            self.sessions.validator,
            oracle=self.oracle,
            typed=self.typed,
            loop=self.loop,
        )
        return CaseResult(case, run, records, outcome, tuple(self.client.argv_for(case.call)))

    def run(self, cases: Iterable[Case]) -> Iterator[CaseResult]:
        """Run the cases (``jobs`` at a time), yielding each in order as it is written."""
        if self.jobs == 1:
            done: Iterable[CaseResult] = map(self.run_case, cases)
            yield from self._written(done)
            return
        with ThreadPoolExecutor(self.jobs, thread_name_prefix="fuzz") as pool:
            yield from self._written(pool.map(self.run_case, cases))

    def _written(self, done: Iterable[CaseResult]) -> Iterator[CaseResult]:
        for result in done:
            if self._file is not None:
                self._file.write("".join(result_line(r) + "\n" for r in result.results()))
                self._file.flush()
            yield result
