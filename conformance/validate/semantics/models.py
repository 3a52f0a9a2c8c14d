"""Rules: the model objects of ``listModels`` and ``retrieveModel`` name their owner.

The real API (../shared/real-traffic: a list of 586 models in 2023, one model in 2024) says
``openai``, ``system``, ``openai-dev``, ``openai-internal``, or the organization that owns a
fine-tuned model (``user-…``, ``org-…``): an identifier, never empty, never punctuation.

>>> owner("gpt-4o"), owner("ft:gpt-4o-mini-2024-07-18:acme::9x7Y")
('system', 'acme')
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from ..violation import WARNING
from .exchange import Exchange
from .registry import Finding, rule

__all__ = ["owner"]

Obj = dict[str, Any]
_OPS = ("listModels", "retrieveModel")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")  # openai, openai-internal, org-…, user-…


def owner(model_id: Any) -> str:
    """A plausible ``owned_by`` for a model id: a fine-tuned model's organization (the third
    part of ``ft:base:org:suffix:id``), else ``system`` (as OpenAI's current models say)."""
    if isinstance(model_id, str) and model_id.startswith("ft:"):
        parts = model_id.split(":")
        if len(parts) > 2 and _NAME.fullmatch(parts[2]):
            return parts[2]
        return "user-" + "0" * 24
    return "system"


def _models(x: Exchange) -> Iterator[tuple[str, Obj]]:
    if not isinstance(x.body, dict) or x.status >= 300:
        return
    data = x.body.get("data")
    if isinstance(data, list):
        for i, item in enumerate(data):
            if isinstance(item, dict):
                yield f"/data/{i}", item
    elif "owned_by" in x.body:
        yield "", x.body


def _unnamed(model: Obj) -> bool:
    value = model.get("owned_by")
    return isinstance(value, str) and _NAME.fullmatch(value) is None


@rule("rule.models.owned-by", operations=_OPS, stream=False, severity=WARNING, reshapes=False)
def models_owned_by(x: Exchange) -> Iterator[Finding]:
    """A model's owned_by is an owner's name: a non-empty identifier."""
    for pointer, model in _models(x):
        if _unnamed(model):
            yield Finding(
                f"model {model.get('id')!r} has owned_by {model['owned_by']!r}, not an owner's name",
                f"{pointer}/owned_by",
                expected="an owner ('openai', 'system', an organization)",
                actual=model["owned_by"],
            )


@models_owned_by.fixer
def _fix_owned_by(x: Exchange) -> None:
    for _, model in _models(x):
        if _unnamed(model):
            model["owned_by"] = owner(model.get("id"))
