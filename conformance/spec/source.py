"""Reading a spec document from a path or an http(s) URL, as YAML or JSON.

YAML is read with libyaml's loader when present and with the timestamp resolver removed:
a YAML date such as ``2024-10-01`` stays the string it is in JSON.
"""

from __future__ import annotations

import functools
import gc
import hashlib
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import orjson
import yaml

from ..errors import SpecLoadError

__all__ = [
    "cache_get",
    "cache_put",
    "code_version",
    "dumps_json",
    "fetch_text",
    "is_url",
    "loads_json",
    "parse_document",
    "read_bytes",
    "read_document",
    "to_uri",
]

_BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BaseLoader):  # type: ignore[misc, valid-type]
    """SafeLoader (libyaml when available) that keeps timestamps as strings."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in _BaseLoader.yaml_implicit_resolvers.items()
}


@contextmanager
def _no_gc() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def is_url(source: str) -> bool:
    """True for an http(s) URL.

    >>> is_url("https://example.com/openapi.yaml")
    True
    """
    return urlsplit(source).scheme in ("http", "https")


def to_uri(source: str | os.PathLike[str]) -> str:
    """An absolute URI for a path or URL: the base against which relative ``$ref`` resolve.

    >>> to_uri("/tmp/x.yaml")
    'file:///tmp/x.yaml'
    """
    text = os.fspath(source)
    if is_url(text) or text.startswith("file://"):
        return text
    return Path(text).resolve().as_uri()


def _cache_dir() -> Path:
    base = os.environ.get("CONFORMANCE_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "openai-conformance"
    )
    return Path(base)


def fetch_text(url: str, *, timeout: float = 30.0) -> bytes:
    """GET an http(s) URL; the body is cached on disk and served from there when offline.

    >>> fetch_text("https://raw.githubusercontent.com/openai/openai-openapi/<sha>/openapi.yaml")  # doctest: +SKIP
    """
    import httpx

    cached = _cache_dir() / "urls" / hashlib.sha256(url.encode()).hexdigest()
    try:
        response = httpx.get(url, timeout=timeout, follow_redirects=True)
        response.raise_for_status()
    except httpx.HTTPError as exc:
        if cached.exists():
            return cached.read_bytes()
        raise SpecLoadError(f"{url}: cannot fetch: {exc}") from None
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        cached.write_bytes(response.content)
    except OSError:
        pass
    return response.content


def parse_document(data: bytes, name: str) -> Any:
    """Parse YAML or JSON bytes; errors name the file with line and column.

    >>> parse_document(b'openapi: 3.0.0', "x.yaml")
    {'openapi': '3.0.0'}
    """
    text = data.decode("utf-8-sig", errors="replace")
    if name.endswith(".json") or text.lstrip()[:1] in ("{", "["):
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            if name.endswith(".json"):
                raise SpecLoadError(
                    f"{name}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}"
                ) from None
    try:
        with _no_gc():  # the collector rescans the growing tree again and again: 2x slower
            doc = yaml.load(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{name}:{mark.line + 1}:{mark.column + 1}" if mark else name
        problem = exc.problem or exc.context or "invalid YAML"
        raise SpecLoadError(f"{where}: invalid YAML: {problem}") from None
    except yaml.YAMLError as exc:
        raise SpecLoadError(f"{name}: invalid YAML: {exc}") from None
    # JSON semantics: YAML mapping keys such as `200:` become the strings they are in JSON
    try:
        return loads_json(dumps_json(doc))
    except (TypeError, ValueError) as exc:
        raise SpecLoadError(f"{name}: YAML value with no JSON equivalent: {exc}") from None


def dumps_json(doc: Any) -> bytes:
    """JSON bytes (orjson; the stdlib for integers beyond 64 bits); non-string keys become strings."""
    try:
        return orjson.dumps(doc, option=orjson.OPT_NON_STR_KEYS)
    except orjson.JSONEncodeError:
        return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode()


def loads_json(data: bytes) -> Any:
    """Parse JSON bytes exactly (the stdlib: orjson turns integers below -2**63 into floats)."""
    return json.loads(data)


def read_bytes(uri: str) -> bytes:
    """The bytes at an absolute ``file://`` or ``http(s)://`` URI; a one-line error otherwise.

    >>> raw = read_bytes(to_uri("openapi.yaml"))  # doctest: +SKIP
    """
    if uri.startswith("file://"):
        path = unquote(urlsplit(uri).path)
        try:
            return Path(path).read_bytes()
        except FileNotFoundError:
            raise SpecLoadError(f"{path}: no such file") from None
        except IsADirectoryError:
            raise SpecLoadError(f"{path}: is a directory, not a spec file") from None
        except OSError as exc:
            raise SpecLoadError(f"{path}: cannot read: {exc.strerror}") from None
    if is_url(uri):
        return fetch_text(uri)
    raise SpecLoadError(f"{uri}: unsupported URI scheme (use a path, file://, http:// or https://)")


def read_document(uri: str) -> Any:
    """Read and parse the document at an absolute ``file://`` or ``http(s)://`` URI.

    >>> doc = read_document(to_uri("openapi.yaml"))  # doctest: +SKIP
    """
    name = unquote(urlsplit(uri).path) if uri.startswith("file://") else uri
    return parse_document(read_bytes(uri), name)


@functools.cache
def code_version() -> str:
    """A digest of the code whose output the cache keeps: ``conformance.spec`` and ``.schema``.

    >>> len(code_version())
    16
    """
    package = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for path in sorted([*package.glob("spec/*.py"), *package.glob("schema/*.py")]):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def cache_get(kind: str, key: str) -> Any:
    """The JSON value this code version cached as ``kind/key``; None if missing or damaged.

    >>> cache_get("specs", "no-such-key") is None
    True
    """
    try:
        return loads_json((_cache_dir() / kind / f"{key}-{code_version()}.json").read_bytes())
    except (OSError, ValueError):
        return None


def cache_put(kind: str, key: str, value: Any) -> None:
    """Cache a JSON value as ``kind/key`` (atomically); a cache that cannot be written is skipped.

    Entries are kept per :func:`code_version`; those another version of the code wrote are deleted.

    >>> cache_put("specs", digest, {"document": doc})  # doctest: +SKIP
    """
    path = _cache_dir() / kind / f"{key}-{code_version()}.json"
    try:
        data = dumps_json(value)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(data)
        tmp.replace(path)
        for old in path.parent.glob("*.json"):
            if not old.name.endswith(f"-{code_version()}.json"):
                old.unlink(missing_ok=True)
    except (OSError, TypeError):
        pass
