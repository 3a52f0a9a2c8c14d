"""``load_spec``: read, check, patch and index an OpenAPI 3.0/3.1 document."""

from __future__ import annotations

import difflib
import hashlib
import os
import re
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import unquote, urlsplit

from ..errors import RefError, SpecError, UnknownOperationError
from .errata import AppliedErratum, apply_errata
from .index import build_operations
from .model import Operation
from .refs import Documents, RefPolicy, escape, split_location
from .source import (
    cache_get,
    cache_put,
    parse_document,
    read_bytes,
    read_document,
    to_uri,
)

__all__ = ["Spec", "load_spec"]


class Spec:
    """A loaded spec: documents, version, errata applied and the operation index.

    >>> spec = load_spec("../shared/specs/openai-2.3.0.yaml")  # doctest: +SKIP
    >>> len(spec.operations)
    126
    """

    def __init__(
        self,
        source: str,
        documents: Documents,
        sha256: str,
        errata: list[AppliedErratum],
        *,
        cache_key: str | None = None,
    ) -> None:
        self.source = source
        # what derives from this one document (schema conversions) may be cached under this key;
        # None when caching is off or the spec spans several documents
        self.cache_key = cache_key
        self.documents = documents
        self.sha256 = sha256
        self.errata = tuple(errata)
        root = self.document
        version = str(root.get("openapi", ""))
        self.openapi = version
        self.version: tuple[int, int] = (int(version[0]), int(version[2]))
        info = root.get("info") or {}
        self.title = str(info.get("title", ""))
        self.api_version = str(info.get("version", ""))
        self.operations: tuple[Operation, ...] = tuple(build_operations(documents))
        self._by_id = {op.operation_id: op for op in self.operations}
        self._by_key = {op.key.upper(): op for op in self.operations}
        self._routes: list[tuple[int, re.Pattern[str], Operation]] | None = None

    @property
    def uri(self) -> str:
        """Absolute URI of the root document."""
        return self.documents.root_uri

    @property
    def document(self) -> dict[str, Any]:
        """The (patched) root document."""
        doc: dict[str, Any] = self.documents.by_uri[self.documents.root_uri]
        return doc

    @property
    def base_path(self) -> str:
        """Path of the first server URL (``/v1`` for OpenAI), ``""`` when there is none."""
        servers = self.document.get("servers") or [{}]
        url = str((servers[0] or {}).get("url", ""))
        return urlsplit(url).path.rstrip("/") if "://" in url else url.rstrip("/")

    def operation(self, key: str) -> Operation:
        """An operation by operationId or ``"METHOD /path"``.

        >>> spec.operation("listModels").path  # doctest: +SKIP
        '/models'
        """
        op = self._by_id.get(key) or self._by_key.get(key.upper())
        if op is None:
            close = [oid for oid in self._by_id if oid.lower() == key.lower()]
            close += difflib.get_close_matches(key, list(self._by_id), n=1, cutoff=0.8)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise UnknownOperationError(f"{self.source}: no operation {key!r}{hint}")
        return op

    def match(
        self, method: str, path: str, *, base_path: str | None = None
    ) -> tuple[Operation, dict[str, str]] | None:
        """Route a concrete request path to its operation: the one routing function, which the
        Validator and the mock share.

        ``base_path`` (the spec's, ``/v1`` for OpenAI, by default) is stripped once when the
        path starts with it; a path without it is read as a template path (``/models``).

        >>> spec.match("GET", "/v1/models/gpt-4o")  # doctest: +SKIP
        (Operation(operation_id='retrieveModel', ...), {'model': 'gpt-4o'})
        """
        if self._routes is None:
            # literal templates first: /files/{id}/content loses to nothing, /a/b beats /a/{x}
            self._routes = sorted(
                ((op.path.count("{"), op.path_regex(), op) for op in self.operations),
                key=lambda r: r[0],
            )
        upper = method.upper()
        relative = self._relative(path, base_path)
        for _, regex, op in self._routes:
            if op.method != upper:
                continue
            m = regex.match(relative)
            if m:
                values = [unquote(v) for v in m.groupdict().values()]
                return op, dict(zip(op.path_names(), values, strict=True))
        return None

    def path_params(
        self, operation: Operation, path: str, *, base_path: str | None = None
    ) -> dict[str, str] | None:
        """The path parameters of a concrete path for one operation; None if it does not match.
        ``base_path`` is stripped as :meth:`match` strips it.

        >>> spec.path_params(spec.operation("retrieveModel"), "/v1/models/gpt-4o")  # doctest: +SKIP
        {'model': 'gpt-4o'}
        """
        m = operation.path_regex().match(self._relative(path, base_path))
        if m is None:
            return None
        values = [unquote(v) for v in m.groupdict().values()]
        return dict(zip(operation.path_names(), values, strict=True))

    def _relative(self, path: str, base_path: str | None) -> str:
        """The path below the base path, which is stripped once (never twice: ``/v1/v1/models``
        is ``/v1/models``, no operation); a path outside it as given."""
        base = (self.base_path if base_path is None else base_path).rstrip("/")
        if base and (path == base or path.startswith(base + "/")):
            return path[len(base) :] or "/"
        return path

    def resolve(self, location: str) -> Any:
        """The node at an absolute location (``uri#pointer``) or a root pointer (``#/...``)."""
        if location.startswith("#"):
            location = self.uri + location
        return self.documents.get(location)

    def label(self, location: str) -> str:
        """Short form of a location: ``#/pointer`` inside the root document."""
        return self.documents.label(location)


_NAMES = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")


def _refs(root: Any) -> Iterator[tuple[str, str]]:
    """Every ``(pointer, $ref)`` in a document but those in examples and extensions.

    Iterative (deep documents cost no recursion); the keys of a schema map (``properties``…)
    are names, so a property named ``example`` is walked like any other.
    """
    stack: list[tuple[Any, str, bool]] = [(root, "", False)]
    while stack:
        node, pointer, names = stack.pop()
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and not names:
                yield pointer, ref
            for key, value in node.items():
                key = str(key)
                if names or (key not in ("example", "examples") and not key.startswith("x-")):
                    child = f"{pointer}/{escape(key)}"
                    stack.append((value, child, not names and key in _NAMES))
        elif isinstance(node, list):
            stack.extend((item, f"{pointer}/{i}", False) for i, item in enumerate(node))


def _check_refs(docs: Documents) -> None:
    """Resolve every ``$ref`` once, loading external documents (as far as the policy allows);
    a dangling ref or a cycle of refs with no schema in it is an error."""
    todo = [docs.root_uri]
    done: set[str] = set()
    edges: dict[str, str] = {}  # location of a node holding a $ref -> location it points at
    while todo:
        uri = todo.pop()
        if uri in done:
            continue
        done.add(uri)
        for pointer, ref in _refs(docs.by_uri[uri]):
            holder = f"{uri}#{pointer}"
            location, _ = docs.resolve(ref, uri, where=docs.where(holder))
            edges[holder] = location
            target_uri = split_location(location)[0]
            if target_uri not in done:
                todo.append(target_uri)
    _check_cycles(docs, edges)


def _check_cycles(docs: Documents, edges: dict[str, str]) -> None:
    """Refuse a cycle of nodes that are each a ``$ref`` to the next (A → B → A, A → A).

    Such a node validates only by validating its target at the same place in the instance, so
    the cycle never reaches a schema. Recursion through ``properties``/``items`` is legal: a
    ref to a schema that *holds* a ref below it is no edge here.
    """
    state: dict[str, int] = {}  # 1: on the path being followed, 2: known to end
    for start in edges:
        path: list[str] = []
        node: str | None = start
        while node is not None and node in edges and node not in state:
            state[node] = 1
            path.append(node)
            node = edges[node]
        if node is not None and state.get(node) == 1:
            cycle = [*path[path.index(node) :], node]
            shown = " -> ".join(docs.label(loc) for loc in cycle)
            raise RefError(f"{docs.where(cycle[0])}: $ref cycle with no schema in it: {shown}")
        for seen in path:
            state[seen] = 2


def _cache_key(digest: str, errata: tuple[str, ...] | None) -> str:
    selection = "all" if errata is None else ",".join(sorted(errata))
    return f"{digest}-{hashlib.sha256(selection.encode()).hexdigest()[:8]}"


def _from_cache(entry: Any) -> tuple[dict[str, Any], list[AppliedErratum], bool] | None:
    """A cache entry's (patched document, errata applied, external refs?); None if damaged."""
    try:
        applied = [AppliedErratum(*map(str, e)) for e in entry["errata"]]
        document, external = entry["document"], bool(entry["external"])
    except (TypeError, KeyError, ValueError):
        return None
    return (document, applied, external) if isinstance(document, dict) else None


def _check_root(doc: Any, text: str) -> None:
    if not isinstance(doc, dict):
        raise SpecError(f"{text}: not an OpenAPI document (top level is not a mapping)")
    version = doc.get("openapi")
    if version is None:
        hint = " (Swagger 2.0 is not supported)" if "swagger" in doc else ""
        raise SpecError(f"{text}: no 'openapi' version field{hint}")
    if not re.fullmatch(r"3\.[01](\.\d+)?(-.+)?", str(version)):
        raise SpecError(f"{text}: unsupported OpenAPI version {version!r} (supported: 3.0, 3.1)")
    if not isinstance(doc.get("paths", {}), dict):
        raise SpecError(f"{text}#/paths: expected a mapping")


def load_spec(
    source: str | os.PathLike[str],
    *,
    errata: tuple[str, ...] | None = None,
    cache: bool = True,
    allow_refs: Iterable[str | os.PathLike[str]] = (),
) -> Spec:
    """Load an OpenAPI 3.0/3.1 spec from a path or http(s) URL, YAML or JSON.

    ``errata`` selects the errata to apply (default: all; ``()`` for none).
    ``cache`` keeps the patched document on disk (and lets the schema sets keep their
    conversions), keyed by the spec's content hash, the errata selected and the code version
    (:func:`~conformance.spec.source.cache_put`).
    ``allow_refs`` lists the folders (paths) and URL prefixes a ``$ref`` may read beyond the
    default: the spec's own folder and below for a local spec, the spec's origin for one fetched
    over http(s), which never reads a local file (:class:`~conformance.spec.refs.RefPolicy`).
    A ref outside them is a :class:`~conformance.errors.RefNotAllowedError`, before any read.

    >>> spec = load_spec("../shared/specs/openai-2.3.0.yaml")  # doctest: +SKIP
    >>> spec = load_spec("api/openapi.yaml", allow_refs=["../common", "https://schemas.example.com/v2/"])  # doctest: +SKIP
    """
    text = os.fspath(source)
    uri = to_uri(text)
    policy = RefPolicy(uri, allow_refs)
    raw = read_bytes(uri)
    digest = hashlib.sha256(raw).hexdigest()
    key = _cache_key(digest, errata) if cache else None
    hit = _from_cache(cache_get("specs", key)) if key else None
    if hit:
        doc, applied, external = hit
        docs = Documents(uri, doc, read_document, policy=policy, name=text)
        if external:  # external documents may have changed (and be refused now): check again
            _check_refs(docs)
        return Spec(text, docs, digest, applied, cache_key=None if external else key)
    doc = parse_document(raw, text)
    _check_root(doc, text)
    docs = Documents(uri, doc, read_document, policy=policy, name=text)
    _check_refs(docs)
    applied = apply_errata(doc, errata)
    external = len(docs.by_uri) > 1
    if key:
        entry = {
            "document": doc,
            "errata": [[a.id, a.pointer, a.detail] for a in applied],
            "external": external,
        }
        cache_put("specs", key, entry)
    return Spec(text, docs, digest, applied, cache_key=None if external else key)
