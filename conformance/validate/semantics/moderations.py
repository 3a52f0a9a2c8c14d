"""Rules: moderations (``createModeration``) — one result per input, scores that are
probabilities, ``flagged`` exactly when a category is, each category's boolean on the side of
its score, the input types the request had, and OpenAI's ``modr-`` ids and moderation models.

Learned from what the API sends (../shared/real-traffic and the spec's own examples): every
score of a benign input is tiny (the real answer's largest is 3.0e-5); flagged categories score
0.52…0.9999992, unflagged ones at most 0.227; ``flagged`` is true exactly when some category is;
a request naming no model was answered by ``text-moderation-007`` (the documented default is
``omni-moderation-latest``, which the fixers answer: its answer has the shape the spec requires).
Fixers draw scores from the input itself, so the same request gets the same answer.

>>> x = Exchange("createModeration", {"input": "hi"}, body={"id": "1", "model": "o1", "results": []})
>>> sorted({v.code for v in check(x)})  # doctest: +SKIP
['rule.moderations.count', 'rule.moderations.id', 'rule.moderations.model']
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
import random
import string
from collections.abc import Iterator
from typing import Any, TypeGuard

from ..violation import WARNING
from .common import counted
from .exchange import Exchange
from .registry import Finding, rule

__all__ = ["CATEGORIES", "IMAGE_CATEGORIES", "input_types", "moderation_inputs"]

Obj = dict[str, Any]
_OPS = ("createModeration",)

# the categories of omni-moderation (the spec's required keys), and those it also scores images for
CATEGORIES = (
    "harassment",
    "harassment/threatening",
    "hate",
    "hate/threatening",
    "illicit",
    "illicit/violent",
    "self-harm",
    "self-harm/intent",
    "self-harm/instructions",
    "sexual",
    "sexual/minors",
    "violence",
    "violence/graphic",
)
IMAGE_CATEGORIES = frozenset(
    (
        "self-harm",
        "self-harm/intent",
        "self-harm/instructions",
        "sexual",
        "violence",
        "violence/graphic",
    )
)
THRESHOLD = 0.5  # a category is true from this score (a heuristic: OpenAI publishes none)
DEFAULT_MODEL = "omni-moderation-latest"  # the documented default
ID_PREFIX = "modr-"
_ID_CHARS = string.ascii_letters + string.digits
_ID_LENGTH = 29  # modr-C32SYHp4XLB0KRtDcKtdRbiP8kSTM
_LOW = (-6.0, -3.0)  # log10 of an unflagged category's made-up score
_HIGH = (0.6, 0.99)  # a flagged one's
_TYPES = ("text", "image")  # the order of OpenAI's example


def moderation_inputs(value: Any) -> int | None:
    """How many results a moderation ``input`` asks for: a string, or a list of multi-modal
    parts (text and images judged together), is one; a list of strings one per item.

    >>> moderation_inputs("hi"), moderation_inputs(["a", "b"]), moderation_inputs([{"type": "text"}])
    (1, 2, 1)
    """
    if isinstance(value, str):
        return 1
    if isinstance(value, list) and value:
        return len(value) if all(isinstance(v, str) for v in value) else 1
    return None


def input_types(value: Any) -> frozenset[str] | None:
    """The input types a moderation ``input`` holds: ``text`` for strings, and each part's
    ``text``/``image`` (``image_url``) for a multi-modal list (None: not a form the API takes).

    >>> sorted(input_types([{"type": "text", "text": "a"}, {"type": "image_url"}]) or ())
    ['image', 'text']
    """
    if moderation_inputs(value) is None:
        return None
    if isinstance(value, str) or all(isinstance(v, str) for v in value):
        return frozenset(("text",))
    kinds = {p.get("type") for p in value if isinstance(p, dict)}
    return frozenset(t for t, part in (("text", "text"), ("image", "image_url")) if part in kinds)


def _results(x: Exchange) -> list[tuple[int, Obj]]:
    results = x.body.get("results") if isinstance(x.body, dict) else None
    if not isinstance(results, list):
        return []
    return [(i, r) for i, r in enumerate(results) if isinstance(r, dict)]


def _map(result: Obj, key: str) -> Obj:
    value = result.get(key)
    return value if isinstance(value, dict) else {}


def _is_score(value: Any) -> TypeGuard[float]:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _in_range(value: Any) -> TypeGuard[float]:
    return _is_score(value) and math.isfinite(value) and 0.0 <= value <= 1.0


def _rng(x: Exchange, *salt: Any) -> random.Random:
    """A generator drawn from the request's input (the same input, the same scores), or from
    the answer's id when the request is unknown (another answer, other scores)."""
    seed = x.body.get("id") if x.request is None and isinstance(x.body, dict) else None
    key = json.dumps([x.asked("input"), seed, *salt], sort_keys=True, default=str)
    return random.Random(hashlib.sha256(key.encode()).digest())


def _score(x: Exchange, index: int, category: str, flagged: bool) -> float:
    """A realistic score: high for a flagged category, 1e-6..1e-3 for an unflagged one."""
    rng = _rng(x, index, category)
    if flagged:
        return round(rng.uniform(*_HIGH), 8)
    return float(f"{10 ** rng.uniform(*_LOW):.6g}")


def _applied(category: str, types: frozenset[str]) -> list[str]:
    """The input types a category's score applies to, for a request of ``types``."""
    return [t for t in _TYPES if t in types and (t == "text" or category in IMAGE_CATEGORIES)]


def _made_up(x: Exchange, index: int) -> Obj:
    """A benign result: every category false with a low score."""
    types = input_types(x.asked("input")) or frozenset(("text",))
    return {
        "flagged": False,
        "categories": dict.fromkeys(CATEGORIES, False),
        "category_scores": {c: _score(x, index, c, False) for c in CATEGORIES},
        "category_applied_input_types": {c: _applied(c, types) for c in CATEGORIES},
    }


@rule("rule.moderations.count", operations=_OPS, request=True, stream=False)
def moderations_count(x: Exchange) -> Iterator[Finding]:
    """One result per input."""
    yield from counted(x, "results", moderation_inputs(x.asked("input")), "results", "input")


@moderations_count.fixer
def _fix_count(x: Exchange) -> None:
    results, count = x.body["results"], moderation_inputs(x.asked("input")) or 1
    if results:
        x.body["results"] = [copy.deepcopy(results[i % len(results)]) for i in range(count)]
    else:
        x.body["results"] = [_made_up(x, i) for i in range(count)]


@rule("rule.moderations.id", operations=_OPS, stream=False, severity=WARNING, reshapes=False)
def moderations_id(x: Exchange) -> Iterator[Finding]:
    """The id starts with ``modr-``."""
    value = x.body.get("id") if isinstance(x.body, dict) else None
    if isinstance(value, str) and not value.startswith(ID_PREFIX):
        yield Finding(
            f"moderation id {value!r} does not start with {ID_PREFIX!r}",
            "/id",
            expected=ID_PREFIX,
            actual=value[:40],
        )


@moderations_id.fixer
def _fix_id(x: Exchange) -> None:
    rng = random.Random(hashlib.sha256(x.body["id"].encode()).digest())
    x.body["id"] = ID_PREFIX + "".join(rng.choice(_ID_CHARS) for _ in range(_ID_LENGTH))


@rule("rule.moderations.model", operations=_OPS, stream=False, severity=WARNING, reshapes=False)
def moderations_model(x: Exchange) -> Iterator[Finding]:
    """With no model asked, the answer names a moderation model (``rule.model.echo`` judges
    the one asked)."""
    value = x.body.get("model") if isinstance(x.body, dict) else None
    if isinstance(value, str) and not x.sent("model") and "moderation" not in value:
        yield Finding(
            f"model {value!r} is not a moderation model",
            "/model",
            expected=DEFAULT_MODEL,
            actual=value,
        )


@moderations_model.fixer
def _fix_model(x: Exchange) -> None:
    x.body["model"] = DEFAULT_MODEL


@rule("rule.moderations.scores", operations=_OPS, stream=False, reshapes=False)
def moderations_scores(x: Exchange) -> Iterator[Finding]:
    """Every category score is a probability: finite, within [0, 1]."""
    for i, result in _results(x):
        for category, score in _map(result, "category_scores").items():
            if _is_score(score) and not _in_range(score):
                yield Finding(
                    f"result {i}'s {category} score {score!r} is outside [0, 1]",
                    f"/results/{i}/category_scores/{category.replace('/', '~1')}",
                    expected="[0, 1]",
                    actual=score,
                )


@moderations_scores.fixer
def _fix_scores(x: Exchange) -> None:
    for i, result in _results(x):
        categories, scores = _map(result, "categories"), _map(result, "category_scores")
        for category, score in scores.items():
            if _is_score(score) and not _in_range(score):
                scores[category] = _score(x, i, category, categories.get(category) is True)


def _flag_mismatch(result: Obj) -> tuple[bool, bool] | None:
    """(flagged, any category true) when they disagree."""
    flagged, categories = result.get("flagged"), result.get("categories")
    if not isinstance(flagged, bool) or not isinstance(categories, dict):
        return None
    some = any(v is True for v in categories.values())
    return None if flagged == some else (flagged, some)


@rule("rule.moderations.flagged", operations=_OPS, stream=False, reshapes=False)
def moderations_flagged(x: Exchange) -> Iterator[Finding]:
    """``flagged`` is true exactly when some category is."""
    for i, result in _results(x):
        mismatch = _flag_mismatch(result)
        if mismatch is not None:
            flagged, some = mismatch
            names = [c for c, v in _map(result, "categories").items() if v is True]
            yield Finding(
                f"result {i} says flagged {str(flagged).lower()} while "
                + (
                    f"{', '.join(names)} {'is' if len(names) == 1 else 'are'} true"
                    if some
                    else "no category is true"
                ),
                f"/results/{i}/flagged",
                expected=some,
                actual=flagged,
            )


@moderations_flagged.fixer
def _fix_flagged(x: Exchange) -> None:
    """Side with ``flagged``: an unflagged result clears its categories (most inputs are
    benign); a flagged one with none true gets its highest-scoring category."""
    for _, result in _results(x):
        if _flag_mismatch(result) is None:
            continue
        categories = result["categories"]
        if not result["flagged"]:
            for category, value in categories.items():
                if value is True:
                    categories[category] = False
            continue
        scores = _map(result, "category_scores")
        ranked = [c for c in categories if c in scores and _in_range(scores[c])]
        pick = max(ranked, key=lambda c: scores[c]) if ranked else next(iter(categories), None)
        if pick is None:
            result["flagged"] = False
        else:
            categories[pick] = True


def _misjudged(result: Obj) -> Iterator[tuple[str, bool, float]]:
    """(category, its boolean, its score) where they disagree about ``THRESHOLD``."""
    scores = _map(result, "category_scores")
    for category, value in _map(result, "categories").items():
        score = scores.get(category)
        if isinstance(value, bool) and _in_range(score) and value != (score >= THRESHOLD):
            yield category, value, score


@rule(
    "rule.moderations.category-score",
    operations=_OPS,
    stream=False,
    severity=WARNING,
    reshapes=False,
)
def moderations_category_score(x: Exchange) -> Iterator[Finding]:
    """A true category scores at least 0.5, a false one below (a heuristic: OpenAI publishes
    no thresholds; every real and documented answer keeps it)."""
    for i, result in _results(x):
        for category, value, score in _misjudged(result):
            yield Finding(
                f"result {i}'s {category} is {str(value).lower()} with score {score:.3g}",
                f"/results/{i}/category_scores/{category.replace('/', '~1')}",
                expected=f">= {THRESHOLD}" if value else f"< {THRESHOLD}",
                actual=score,
            )


@moderations_category_score.fixer
def _fix_category_score(x: Exchange) -> None:
    for i, result in _results(x):
        scores = result["category_scores"]
        for category, value, _ in list(_misjudged(result)):
            scores[category] = _score(x, i, category, value)


def _wrong_types(result: Obj, types: frozenset[str]) -> Iterator[tuple[str, list[Any]]]:
    """(category, its list) where the list names a type the request lacked, or one twice."""
    for category, listed in _map(result, "category_applied_input_types").items():
        if isinstance(listed, list) and (
            len(set(map(str, listed))) != len(listed) or any(t not in types for t in listed)
        ):
            yield category, listed


@rule("rule.moderations.input-types", operations=_OPS, request=True, stream=False)
def moderations_input_types(x: Exchange) -> Iterator[Finding]:
    """``category_applied_input_types`` names only input types the request had, each once."""
    types = input_types(x.asked("input"))
    if types is None:
        return
    for i, result in _results(x):
        for category, listed in _wrong_types(result, types):
            yield Finding(
                f"result {i}'s {category} applies to {listed!r}; the input had {sorted(types)}",
                f"/results/{i}/category_applied_input_types/{category.replace('/', '~1')}",
                expected=sorted(types),
                actual=listed,
                param="input",
            )


@moderations_input_types.fixer
def _fix_input_types(x: Exchange) -> None:
    """Every category of a result at fault lists what its score applies to (text, and image
    for the categories that take images), as OpenAI's example does."""
    types = input_types(x.asked("input")) or frozenset(("text",))
    for _, result in _results(x):
        if next(_wrong_types(result, types), None) is not None:
            applied = result["category_applied_input_types"]
            for category in applied:
                applied[category] = _applied(category, types)
