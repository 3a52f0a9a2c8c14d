"""Rules: what an answer echoes of its request — the ``model`` asked, ``n`` images (one
moderation result per input is ``moderations.py``'s).

The API answers a model alias with the snapshot it ran (../shared/real-traffic):
``gpt-4o`` → ``gpt-4o-2024-08-06``, ``gpt-3.5-turbo`` → ``gpt-3.5-turbo-0125``,
``gpt-4-vision-preview`` → ``gpt-4-1106-vision-preview``, ``text-embedding-ada-002`` →
``text-embedding-ada-002-v2``, ``davinci-002`` → ``davinci:2023-07-21-v2``; a dated snapshot
asked is answered as asked.

>>> same_model("gpt-4o", "gpt-4o-2024-08-06"), same_model("gpt-4o", "gpt-4o-mini-2024-07-18")
(True, False)
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from typing import Any

from .common import answered, counted, is_int
from .exchange import Exchange
from .moderations import moderation_inputs
from .registry import Finding, rule

__all__ = ["moderation_inputs", "same_model"]

Obj = dict[str, Any]

# what a snapshot adds to a model's name: a date (-2024-08-06, -0613, :2023-07-21), a version
# number (-002), a revision (-v2); -latest names whichever is current
_SNAPSHOT = re.compile(r"[-:]\d{4}-\d{2}-\d{2}|-\d{3,4}(?=-|$)|-v\d+$|-latest$")
_DATED = re.compile(r"\d{4}-\d{2}-\d{2}|-\d{4}(?=-|$)")
# aliases whose snapshot is named otherwise (OpenAI's model docs)
_ALIASES = {"gpt-4-turbo-preview": "gpt-4-preview"}  # → gpt-4-0125-preview


def same_model(asked: str, answered: str) -> bool:
    """True when ``answered`` names the model ``asked`` names: the same, or (for an alias that
    names no date) a snapshot of it.

    >>> same_model("davinci-002", "davinci:2023-07-21-v2"), same_model("gpt-4-0613", "gpt-4-0314")
    (True, False)
    """
    if asked == answered:
        return True
    if _DATED.search(asked):
        return False
    family = _SNAPSHOT.sub("", asked)
    return _SNAPSHOT.sub("", answered) in (family, _ALIASES.get(family))


def _models(x: Exchange) -> Iterator[tuple[int | None, str, Obj]]:
    """(event, pointer, object) of each object of the answer that names a model."""
    for event, pointer, obj in answered(x):
        if isinstance(obj.get("model"), str):
            yield event, pointer, obj


@rule("rule.model.echo", request=True, reshapes=False)
def model_echo(x: Exchange) -> Iterator[Finding]:
    """The answer's ``model`` is the one asked (or a snapshot of it)."""
    asked = x.asked("model")
    if not isinstance(asked, str) or x.status >= 300:
        return
    for event, pointer, obj in _models(x):
        if not same_model(asked, obj["model"]):
            yield Finding(
                f"model {obj['model']!r} answers a request for {asked!r}",
                f"{pointer}/model",
                event,
                expected=asked,
                actual=obj["model"],
                param="model",
            )


@model_echo.fixer
def _fix_model(x: Exchange) -> None:
    asked = x.asked("model")
    for _, _, obj in _models(x):
        if not same_model(asked, obj["model"]):
            obj["model"] = asked


def _repeat(items: list[Any], count: int) -> list[Any]:
    return [copy.deepcopy(items[i % len(items)]) for i in range(count)]


def _asked_n(x: Exchange) -> int | None:
    n = x.asked("n", 1)
    if isinstance(n, str) and n.isdigit():  # a multipart form's field
        n = int(n)
    return n if is_int(n) and n > 0 else None


@rule(
    "rule.images.n",
    operations=("createImage", "createImageEdit", "createImageVariation"),
    request=True,
    stream=False,
)
def images_n(x: Exchange) -> Iterator[Finding]:
    """As many images as ``n`` asked (1 by default)."""
    if x.status < 300:
        yield from counted(x, "data", _asked_n(x), "images", "n")


@images_n.fixer
def _fix_images(x: Exchange) -> None:
    data, n = x.body["data"], _asked_n(x) or 1
    if not data:  # a made-up image, in the form asked
        made = (
            {"b64_json": _PIXEL}
            if x.asked("response_format") == "b64_json"
            else {"url": "https://images.example/generated.png"}
        )
        data = [made]
    x.body["data"] = _repeat(data, n)


# a 1x1 transparent PNG
_PIXEL = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="
)
