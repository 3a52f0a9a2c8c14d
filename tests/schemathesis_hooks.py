"""schemathesis hooks for the runs in tests/ and bench/ (``SCHEMATHESIS_HOOKS=schemathesis_hooks``).

schemathesis builds a URL with ``urljoin``, which drops an empty path segment (schemathesis#2790,
open): a stateful step that feeds an id the mock answered as ``""`` (the spec allows any string)
into ``/organization/projects/{project_id}/archive`` sends ``/organization/projects/archive`` —
another operation, so its verdict is about the wrong request. The request goes out unchanged;
it only carries ``X-Empty-Path-Parameter: NAME`` so a failure it causes can be named.
"""

from __future__ import annotations

from typing import Any

import schemathesis


@schemathesis.hook
def before_call(ctx: Any, case: Any, **kwargs: Any) -> None:
    empty = sorted(k for k, v in (case.path_parameters or {}).items() if v == "")
    if empty:
        case.headers = {**(case.headers or {}), "X-Empty-Path-Parameter": ",".join(empty)}
