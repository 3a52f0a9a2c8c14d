"""The result model: one exchange (request, answer or stream, timing, replay key) and its
verdicts, as JSON with a version and a published JSON Schema (``schema.json`` beside this file).

Everything that judges traffic speaks it: the mock's request log, ``conformance spec
examples``, and the suites, reports and fuzz harness. Secrets are replaced by
:class:`Redactor` before a result is kept.

>>> from conformance.results import Document, Request, Response, Result
>>> r = Result("listModels", Request("GET", "/v1/models"), Response(200, chunks=(b"{}",)))
>>> Document([r]).to_dict()["results"][0]["response"]["body"]
{'json': {}}
"""

from importlib.resources import files as _files

from .document import FORMAT, VERSION, Document, read_results
from .message import Request, Response
from .redact import MARKER, Redactor
from .result import Replay, Result
from .verdict import ALL_AXES, AXES, GRADES, Verdict, axis_of, worst

__all__ = [
    "ALL_AXES",
    "AXES",
    "FORMAT",
    "GRADES",
    "MARKER",
    "VERSION",
    "Document",
    "Redactor",
    "Replay",
    "Request",
    "Response",
    "Result",
    "Verdict",
    "axis_of",
    "read_results",
    "schema",
    "worst",
]


def schema() -> dict[str, object]:
    """The JSON Schema (2020-12) of the document; ``$defs/line`` is one JSON line's.

    >>> schema()["$id"]
    'urn:openai-conformance:results:1'
    """
    import json

    loaded: dict[str, object] = json.loads(
        _files(__name__).joinpath("schema.json").read_text(encoding="utf-8")
    )
    return loaded
