"""The suite's checks as schemathesis checks, for schemathesis runs and tests of your own.

``conformance_checks(spec)`` gives one schemathesis check function per suite check
(``conformance.suites.checks.CHECKS``): the answer read leniently with the errata, streams judged
event by event by their payload, ``[DONE]``, the OpenAI error envelope, stack traces in errors,
every semantic rule of the exchange. Each fails with a schemathesis ``Failure`` whose title is
the verdict code; warnings (undeclared fields, capability limits, OpenAI's own deviations) do
not fail. They replace schemathesis' generic ``response_schema_conformance`` (which judges an
SSE reply's envelope instead of its events and knows no errata) and ``ignored_auth`` /
``status_code_conformance`` (false alarms on OpenAI's spec, which documents only 200s).

>>> import schemathesis
>>> schema = schemathesis.openapi.from_dict(spec.document)  # doctest: +SKIP
>>> case.call_and_validate(checks=conformance_checks(spec), excluded_checks=REPLACED)  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import schemathesis
from schemathesis.core.failures import Failure

from ..results import Request, Response, Result
from ..spec import Spec
from ..strategies import RequestCase
from ..validate import Validator, Violation
from .cases import Case
from .checks import CHECKS, Context
from .grade import ignored

__all__ = ["REPLACED", "ConformanceFailure", "conformance_checks", "to_case", "to_result"]

# schemathesis' generic checks that ours replace on OpenAI-style specs
REPLACED = ("response_schema_conformance", "status_code_conformance", "ignored_auth")


class ConformanceFailure(Failure):
    """A suite verdict graded ``fail``, as schemathesis reports failures."""

    code = "ST990"
    kind_title = "OpenAI conformance"


def to_case(case: Any) -> Case:
    """Our ``Case`` for a schemathesis case (positive or negative by its generation mode)."""
    operation = case.operation
    op_id = operation.definition.raw.get("operationId") or operation.label
    mode = getattr(getattr(getattr(case, "meta", None), "generation", None), "mode", None)
    kind = "negative" if str(getattr(mode, "value", mode)).lower() == "negative" else "positive"
    request = RequestCase(
        op_id,
        operation.method.upper(),
        case.formatted_path,
        dict(case.path_parameters or {}),
        dict(case.query or {}),
        {k: str(v) for k, v in (case.headers or {}).items()},
        case.media_type,
        None if _unset(case.body) else case.body,
    )
    return Case(kind, request, f"schemathesis {kind}", operation.path)


def _unset(value: Any) -> bool:
    return value is None or type(value).__name__ == "NotSet"


def to_result(operation: str, response: Any) -> Result:
    """Our ``Result`` for a schemathesis response (the request it answered included)."""
    sent = response.request
    url = str(sent.url)
    path, _, query = url.partition("?")
    scheme, _, rest = path.partition("://")
    host, _, tail = rest.partition("/")
    body = sent.body.encode() if isinstance(sent.body, str) else sent.body
    headers = {k.lower(): v[0] if isinstance(v, list) else v for k, v in response.headers.items()}
    stream = "text/event-stream" in headers.get("content-type", "").lower()
    return Result(
        operation,
        Request(
            sent.method,
            "/" + tail,
            query,
            {k.lower(): v for k, v in sent.headers.items()},
            body,
            origin=f"{scheme}://{host}",
        ),
        Response(response.status_code, headers, (response.content,), stream),
    )


def conformance_checks(spec: Spec) -> list[Callable[..., bool | None]]:
    """schemathesis check functions, one per suite check, registered with ``schemathesis.check``.

    >>> [c.__name__ for c in conformance_checks(spec)][:2]  # doctest: +SKIP
    ['conformance_server_error', 'conformance_error_envelope']
    """
    from .deviations import known

    validator = Validator(spec)
    note = known(spec).note
    return [schemathesis.check(_wrap(n, c, validator, note)) for n, c in CHECKS.items()]


def _wrap(name: str, check: Any, validator: Validator, note: Any) -> Callable[..., bool | None]:
    def conformance_check(ctx: Any, response: Any, case: Any) -> bool | None:
        ours = to_case(case)
        result = to_result(ours.operation, response)
        found = check(Context(validator, ours), result)
        failing = [v for v in found if _fails(v, result) and not note(ours.operation, v)]
        if not failing:
            return None
        raise ConformanceFailure(
            operation=case.operation.label,
            title=failing[0].code,
            message="\n".join(str(v) for v in failing),
        )

    conformance_check.__name__ = "conformance_" + name.replace(".", "_").replace("-", "_")
    conformance_check.__doc__ = f"openai-conformance: the suite's {name} check"
    return conformance_check


def _fails(violation: Violation, result: Result) -> bool:
    """Whether the suite grades the violation ``fail`` (not warn, ignored, unsupported), OpenAI's
    own deviations aside."""
    if not violation.is_error or violation.code.startswith(("capability.", "transport.")):
        return False
    return not (violation.code.startswith("rule.") and ignored(violation, result))
