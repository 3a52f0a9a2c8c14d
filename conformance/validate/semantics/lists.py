"""Rules: lists — any answer that is a list envelope ``{"object": "list", "data": [...],
"has_more", "first_id", "last_id"}``: ids of the page's ends, a page that ends, the ``limit``,
``order`` and ``after``/``before`` query parameters honoured.

What the real API does (../shared/real-traffic): an empty page has ``first_id``/``last_id``
null (both specs say string); ``listFiles`` without a filter and ``listPaginatedFineTuningJobs``
leave the two ids out; a page is full before ``has_more`` is true.

>>> x = Exchange("listFiles", None, body={"object": "list", "data": [], "has_more": True})
>>> [v.code for v in check(x)]  # doctest: +SKIP
['rule.list.empty-has-more']
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..violation import WARNING
from .exchange import Exchange
from .registry import Finding, rule

__all__ = ["default_limit", "envelope"]

Obj = dict[str, Any]

# page sizes the specs declare other than 20 (None: no default declared: only an asked limit
# tells a short page)
_DEFAULT_LIMITS: dict[str, int | None] = {
    "listFiles": 10000,
    "listFineTuningJobCheckpoints": 10,
    "listFineTuningCheckpointPermissions": 10,
    "list-project-rate-limits": 100,
    "list-groups": 100,
    "list-group-users": 100,
    "list-roles": 1000,
    "list-project-roles": 1000,
    "list-group-role-assignments": None,
    "list-user-role-assignments": None,
    "list-project-group-role-assignments": None,
    "list-project-user-role-assignments": None,
    "list-project-spend-alerts": None,
    "list-organization-spend-alerts": None,
    "ListVideos": None,
    "ListSkills": None,
    "ListSkillVersions": None,
    "ListThreadItemsMethod": None,
    "ListThreadsMethod": None,
    "listModels": None,
}


def envelope(body: Any) -> Obj | None:
    """The body when it is a list envelope (a ``data`` array, and ``object: list`` or a
    ``has_more`` flag: some list schemas leave ``object`` a free string), else None. The usage
    API's ``object: page`` pages its buckets otherwise (``next_page``).

    >>> envelope({"object": "list", "data": []}) is not None, envelope({"data": []})
    (True, None)
    """
    if not isinstance(body, dict) or not isinstance(body.get("data"), list):
        return None
    kind = body.get("object")
    return body if kind == "list" or ("has_more" in body and kind != "page") else None


def default_limit(operation: str) -> int | None:
    """The page size an operation uses when no ``limit`` is asked (None: not known).

    >>> default_limit("listAssistants"), default_limit("listFiles")
    (20, 10000)
    """
    return _DEFAULT_LIMITS.get(operation, 20)


def _asked_limit(x: Exchange) -> int | None:
    try:
        limit = int(x.query.get("limit", ""))
    except ValueError:
        return None
    return limit if limit > 0 else None


def _id(item: Any) -> str | None:
    return item.get("id") if isinstance(item, dict) and isinstance(item.get("id"), str) else None


def _ends(data: list[Any]) -> dict[str, str | None] | None:
    """What first_id and last_id should be (None: the items carry no ids to compare)."""
    if not data:
        return {"first_id": None, "last_id": None}
    first, last = _id(data[0]), _id(data[-1])
    if first is None or last is None:
        return None
    return {"first_id": first, "last_id": last}


@rule("rule.list.limit", stream=False)
def list_limit(x: Exchange) -> Iterator[Finding]:
    """At most ``limit`` items."""
    page, limit = envelope(x.body), _asked_limit(x)
    if page is not None and limit is not None and len(page["data"]) > limit:
        yield Finding(
            f"{len(page['data'])} items, limit={limit} was asked",
            "/data",
            expected=limit,
            actual=len(page["data"]),
            param="limit",
        )


@list_limit.fixer
def _fix_limit(x: Exchange) -> None:
    page, limit = envelope(x.body), _asked_limit(x)
    if page is not None and limit is not None:
        del page["data"][limit:]


def _cursors(x: Exchange) -> dict[str, str]:
    return {k: x.query[k] for k in ("after", "before") if x.query.get(k)}


@rule("rule.list.cursor", stream=False)
def list_cursor(x: Exchange) -> Iterator[Finding]:
    """The ``after``/``before`` item is not part of the page."""
    page, cursors = envelope(x.body), _cursors(x)
    if page is None or not cursors:
        return
    for i, item in enumerate(page["data"]):
        for name, cursor in cursors.items():
            if _id(item) == cursor:
                yield Finding(
                    f"item {i} is {cursor}, the {name} cursor itself",
                    f"/data/{i}/id",
                    actual=cursor,
                    param=name,
                )


@list_cursor.fixer
def _fix_cursor(x: Exchange) -> None:
    page, cursors = envelope(x.body), set(_cursors(x).values())
    if page is not None:
        page["data"][:] = [item for item in page["data"] if _id(item) not in cursors]


def _created(item: Any) -> int | float | None:
    if not isinstance(item, dict):
        return None
    value = item.get("created_at", item.get("created"))
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    return None


def _ordered(x: Exchange) -> tuple[Obj, str, list[int | float]] | None:
    page, order = envelope(x.body), x.query.get("order")
    if page is None or order not in ("asc", "desc"):
        return None
    times = [_created(item) for item in page["data"]]
    if any(t is None for t in times):
        return None
    return page, order, [t for t in times if t is not None]


@rule("rule.list.order", stream=False)
def list_order(x: Exchange) -> Iterator[Finding]:
    """Items follow the asked ``order`` by ``created_at`` (ties in any order)."""
    found = _ordered(x)
    if found is None:
        return
    _, order, times = found
    for i in range(1, len(times)):
        before, now = times[i - 1], times[i]
        if (now < before) if order == "asc" else (now > before):
            yield Finding(
                f"item {i} was created at {now}, item {i - 1} at {before}: not {order}",
                f"/data/{i}",
                expected=order,
                actual=now,
                param="order",
            )
            return


@list_order.fixer
def _fix_order(x: Exchange) -> None:
    found = _ordered(x)
    if found is not None:
        page, order, _ = found
        page["data"].sort(key=lambda item: _created(item) or 0, reverse=order == "desc")


@rule("rule.list.empty-has-more", stream=False)
def list_empty_has_more(x: Exchange) -> Iterator[Finding]:
    """An empty page has nothing after it."""
    page = envelope(x.body)
    if page is not None and not page["data"] and page.get("has_more") is True:
        yield Finding("an empty page says has_more: true", "/has_more", expected=False, actual=True)


def _end_page(x: Exchange) -> None:
    page = envelope(x.body)
    if page is not None and page.get("has_more") is True:
        page["has_more"] = False


list_empty_has_more.fixer(_end_page)


@rule("rule.list.short-page", stream=False, severity=WARNING)
def list_short_page(x: Exchange) -> Iterator[Finding]:
    """``has_more`` only on a full page: fewer items than the limit means the list ended (a
    generated page with made-up ids and ``has_more: true`` makes a client's loop run forever)."""
    page = envelope(x.body)
    if page is None or page.get("has_more") is not True or not page["data"]:
        return
    limit = _asked_limit(x) or default_limit(x.operation)
    if limit is not None and len(page["data"]) < limit:
        yield Finding(
            f"has_more: true on a page of {len(page['data'])} items (limit {limit})",
            "/has_more",
            expected=False,
            actual=True,
        )


list_short_page.fixer(_end_page)


@rule("rule.list.ids", stream=False)
def list_ids(x: Exchange) -> Iterator[Finding]:
    """``first_id``/``last_id``, when present, name the page's first and last items."""
    page = envelope(x.body)
    ends = _ends(page["data"]) if page is not None else None
    if page is None or ends is None:
        return
    for name, expected in ends.items():
        if name in page and page[name] != expected:
            yield Finding(
                f"{name} is {page[name]!r}, the page's {name[:-3]} item is {expected!r}",
                f"/{name}",
                expected=expected,
                actual=page[name],
            )


@list_ids.fixer
def _fix_ids(x: Exchange) -> None:
    page = envelope(x.body)
    ends = _ends(page["data"]) if page is not None else None
    if page is not None and ends is not None:
        for name, expected in ends.items():
            if name in page:
                page[name] = expected
