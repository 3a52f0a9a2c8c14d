"""Capability profiles: what a server serves, found by ``--probe`` (one cheap request per
operation) and reused by later runs, which then skip what the server does not serve (graded
``unsupported`` from the profile) instead of asking again.

A profile is JSON::

    {"format": "openai-conformance/capabilities", "version": 1,
     "target": "http://127.0.0.1:8080/v1",
     "operations": {"createChatCompletion": "served", "createImage": "unsupported", ...}}

``served``: answered 2xx, or refused the request with a 4xx that is not "no such route";
``unsupported``: 404 without OpenAI's envelope, 405, 501 or OpenAI's unsupported error;
``unreachable``: no answer (a timeout, a reset).

>>> caps = probe(spec, target, Budget())  # doctest: +SKIP
>>> caps.unsupported()  # doctest: +SKIP
['createImage', 'createSpeech']
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..spec import Spec
from ..validate import Validator
from .cases import cases_for
from .checks import judge
from .runner import select
from .target import Budget, Target
from .transport import Sender

__all__ = ["FORMAT", "Capabilities", "load_capabilities", "probe"]

FORMAT = "openai-conformance/capabilities"
STATES = ("served", "unsupported", "unreachable")


@dataclass(frozen=True)
class Capabilities:
    """Per operation, whether the target serves it (``STATES``)."""

    target: str
    operations: Mapping[str, str] = field(default_factory=dict)

    def unsupported(self) -> list[str]:
        """The operations the server does not serve."""
        return sorted(op for op, state in self.operations.items() if state == "unsupported")

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            "format": FORMAT,
            "version": 1,
            "target": self.target,
            "operations": dict(sorted(self.operations.items())),
        }

    def write(self, path: str | Path) -> None:
        """Write the profile as JSON."""
        try:
            Path(path).write_text(json.dumps(self.to_dict(), indent=2) + "\n", encoding="utf-8")
        except OSError as exc:
            raise InputError(f"{path}: cannot write the capability profile: {exc}") from None


def load_capabilities(path: str | Path) -> Capabilities:
    """A profile written by ``--probe``.

    >>> load_capabilities("llama-server.json").unsupported()  # doctest: +SKIP
    """
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read the capability profile: {exc}") from None
    except ValueError as exc:
        raise InputError(f"{path}: not JSON: {exc}") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise InputError(f"{path}: not a capability profile (format {FORMAT})")
    operations = data.get("operations")
    if not isinstance(operations, dict) or any(s not in STATES for s in operations.values()):
        raise InputError(f"{path}: operations must map operationIds to {', '.join(STATES)}")
    return Capabilities(str(data.get("target", "")), dict(operations))


def probe(
    spec: Spec,
    target: Target,
    budget: Budget,
    *,
    operations: tuple[str, ...] = (),
    seed: int = 0,
) -> Capabilities:
    """Send one valid request per operation and record whether the server serves it."""
    validator = Validator(spec)
    found: dict[str, str] = {}
    with Sender(target, budget) as send:
        for op in select(spec, target, operations):
            cases = cases_for(spec, op, target, budget, seed=seed, positive=1, negative=0)
            case = next((c for c in cases if c.kind == "positive"), None)
            if case is None:
                continue
            sent = send(case.request, "probe: capability")
            if sent is None:
                break  # the budget is spent
            judged = judge(validator, case, sent)
            codes = {v.code for v in judged.violations}
            if judged.status is None:
                found[op.operation_id] = "unreachable"
            elif "capability.unsupported" in codes and judged.status in (404, 405, 501):
                found[op.operation_id] = "unsupported"
            else:
                found[op.operation_id] = "served"
    return Capabilities(target.base_url, found)
