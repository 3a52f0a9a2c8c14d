"""Rules over Assistants runs: their streams (``createRun``, ``createThreadAndRun``,
``submitToolOuputsToRun`` — the spec's own spelling — with ``stream: true``) and the run
objects any answer carries (``run_stream.py`` holds the stream rules).

A run stream goes (``thread.created``, createThreadAndRun only) → ``thread.run.created`` →
``thread.run.queued`` → ``thread.run.in_progress`` → step and message events → one terminal run
event (``completed``, ``requires_action``, ``incomplete``, ``failed``, ``cancelled``,
``expired``) → ``event: done`` with ``data: [DONE]``.

>>> x = Exchange.streamed("createRun", None, events_without_done)  # doctest: +SKIP
>>> [v.code for v in check(x)]  # doctest: +SKIP
['rule.assistants.stream-order']
>>> x = Exchange("getRun", None, body={"object": "thread.run", "status": "requires_action", "tools": []})
>>> [v.code for v in check(x)]  # doctest: +SKIP
['rule.assistants.requires-action']
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..violation import WARNING
from .exchange import Exchange
from .registry import Finding, rule

__all__ = ["RUN_STREAMS", "data_at", "event_kind", "events", "name_at", "runs_in"]

Obj = dict[str, Any]

RUN_STREAMS = ("createRun", "createThreadAndRun", "submitToolOuputsToRun")
_RUN_OPS = (*RUN_STREAMS, "getRun", "modifyRun", "cancelRun", "listRuns")


def event_kind(name: Any) -> tuple[str, str] | None:
    """(object kind, what happened) of an event name: ``thread.run.step.delta`` → (step, delta)."""
    if not isinstance(name, str):
        return None
    for prefix, kind in (
        ("thread.run.step.", "step"),
        ("thread.run.", "run"),
        ("thread.message.", "message"),
    ):
        if name.startswith(prefix):
            return kind, name[len(prefix) :]
    return ("thread", "created") if name == "thread.created" else None


def events(x: Exchange) -> Iterator[tuple[int, str, str, Obj]]:
    """(index, kind, what happened, data) of the stream's run, step, message and thread events."""
    for index, event in enumerate(x.events or ()):
        parsed = event_kind(event.name)
        if parsed is not None and isinstance(event.data, dict):
            yield index, parsed[0], parsed[1], event.data


def name_at(x: Exchange, index: int) -> str:
    """The name of the stream's event at an index."""
    return str((x.events or [])[index].name)


def data_at(x: Exchange, index: int) -> Obj:
    """The data of the stream's event at an index (``{}`` when it is not an object)."""
    data = (x.events or [])[index].data
    return data if isinstance(data, dict) else {}


def runs_in(x: Exchange) -> Iterator[tuple[int | None, str, Obj]]:
    """(event index or None, pointer, run) of every run object of the answer."""
    if x.events is not None:
        for index, kind, _, data in events(x):
            if kind == "run":
                yield index, "", data
        return
    body = x.body
    if isinstance(body, dict) and body.get("object") == "thread.run":
        yield None, "", body
    elif isinstance(body, dict) and isinstance(body.get("data"), list):
        for i, item in enumerate(body["data"]):
            if isinstance(item, dict) and item.get("object") == "thread.run":
                yield None, f"/data/{i}", item


# --- required action ------------------------------------------------------------------------


def _functions(run: Obj) -> list[str]:
    return [
        t["function"]["name"]
        for t in run.get("tools") or []
        if isinstance(t, dict)
        and t.get("type") == "function"
        and isinstance(t.get("function"), dict)
        and isinstance(t["function"].get("name"), str)
    ]


def _calls(run: Obj) -> list[Obj]:
    action = run.get("required_action")
    outputs = action.get("submit_tool_outputs") if isinstance(action, dict) else None
    calls = outputs.get("tool_calls") if isinstance(outputs, dict) else None
    return [c for c in calls or [] if isinstance(c, dict) and isinstance(c.get("function"), dict)]


def _action_problem(run: Obj) -> str | None:
    waiting = run.get("status") == "requires_action"
    if "required_action" in run and waiting != (run["required_action"] is not None):
        return f"status {run.get('status')!r} with required_action {'set' if run['required_action'] is not None else 'null'}"
    if not waiting:
        return None
    names = _functions(run)
    if not names:
        return "requires_action, but the run has no function tool"
    unknown = [
        c["function"].get("name") for c in _calls(run) if c["function"].get("name") not in names
    ]
    return (
        f"required_action calls {unknown}, not among the run's functions {names}"
        if unknown
        else None
    )


@rule("rule.assistants.requires-action", operations=_RUN_OPS)
def requires_action(x: Exchange) -> Iterator[Finding]:
    """A run requires action (status requires_action, required_action set, and only then) only
    when it has function tools, and its tool calls name them."""
    for event, pointer, run in runs_in(x):
        problem = _action_problem(run)
        if problem is not None:
            yield Finding(problem, f"{pointer}/required_action", event, None, run.get("status"))


@requires_action.fixer
def _fix_requires_action(x: Exchange) -> None:
    for event, _, run in list(runs_in(x)):
        names = _functions(run)
        if run.get("status") == "requires_action" and not names:
            run["status"] = "completed"
            if event is not None and x.events is not None:
                x.events[event].name = "thread.run.completed"
        if run.get("status") != "requires_action":
            run["required_action"] = None
            continue
        if not _calls(run):
            call: Obj = {
                "id": f"call_{str(run.get('id', ''))[4:]}",
                "type": "function",
                "function": {"name": names[0], "arguments": "{}"},
            }
            run["required_action"] = {
                "type": "submit_tool_outputs",
                "submit_tool_outputs": {"tool_calls": [call]},
            }
        for call in _calls(run):
            if call["function"].get("name") not in names:
                call["function"]["name"] = names[0]


_ANSWERED = {
    "createRun": "queued",
    "createThreadAndRun": "queued",
    "submitToolOuputsToRun": "queued",
    "cancelRun": "cancelling",
}


@rule("rule.assistants.run-status", operations=tuple(_ANSWERED), stream=False, severity=WARNING)
def run_status(x: Exchange) -> Iterator[Finding]:
    """A run just created (or given its tool outputs) is queued; a run just cancelled is
    cancelling (the API answers before the run moves on)."""
    want = _ANSWERED[x.operation]
    if (
        isinstance(x.body, dict)
        and x.body.get("object") == "thread.run"
        and x.body.get("status") != want
    ):
        yield Finding(
            f"the run is {x.body.get('status')!r}", "/status", None, want, x.body.get("status")
        )


@run_status.fixer
def _fix_run_status(x: Exchange) -> None:
    if isinstance(x.body, dict):
        x.body["status"] = _ANSWERED[x.operation]
        if "required_action" in x.body:
            x.body["required_action"] = None
