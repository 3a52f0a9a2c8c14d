"""Reading a spec document from a path or an http(s) URL, as YAML or JSON.

YAML is read with libyaml's loader when present and with the timestamp resolver removed:
a YAML date such as ``2024-10-01`` stays the string it is in JSON.

What is read is bounded: only regular files, at most :data:`MAX_BYTES` per file or HTTP body
(read in chunks, so an endless body stops at the cap), each HTTP body within
:data:`FETCH_TIMEOUT` seconds, and YAML aliases may add at most :data:`MAX_ALIAS_NODES` nodes to
a document (checked on the composed node graph, before anything is expanded).
"""

from __future__ import annotations

import functools
import gc
import hashlib
import json
import os
import stat
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import orjson
import yaml

from ..errors import SpecLoadError

__all__ = [
    "FETCH_TIMEOUT",
    "MAX_ALIAS_NODES",
    "MAX_BYTES",
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

MAX_BYTES = 64 * 1024 * 1024
"""The most bytes read from one spec file or HTTP body (64 MiB; the OpenAI specs are 1-3 MB)."""

FETCH_TIMEOUT = 30.0
"""Seconds allowed for one HTTP GET, connection to last byte."""

MAX_ALIAS_NODES = 1_000_000
"""The most nodes YAML aliases may add to a document once expanded (a document without aliases
has fewer nodes than bytes; the OpenAI 2.3.0 spec's aliases add about ten)."""

_CHUNK = 1 << 20

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


def fetch_text(url: str, *, timeout: float | None = None) -> bytes:
    """GET an http(s) URL; the body is cached on disk and served from there when offline.

    The body is read in chunks and refused past :data:`MAX_BYTES` or after ``timeout`` seconds
    (default :data:`FETCH_TIMEOUT`).

    >>> fetch_text("https://raw.githubusercontent.com/openai/openai-openapi/<sha>/openapi.yaml")  # doctest: +SKIP
    """
    import httpx

    timeout = FETCH_TIMEOUT if timeout is None else timeout
    cached = _cache_dir() / "urls" / hashlib.sha256(url.encode()).hexdigest()
    deadline = time.monotonic() + timeout
    try:
        with httpx.stream("GET", url, timeout=timeout, follow_redirects=True) as response:
            response.raise_for_status()
            length = response.headers.get("content-length", "")
            if length.isdigit() and int(length) > MAX_BYTES:
                raise SpecLoadError(f"{url}: {int(length)} bytes, {_over_limit()}")

            def read() -> bytes:
                if time.monotonic() > deadline:
                    raise SpecLoadError(f"{url}: not read within {timeout:g} s")
                return next(chunks, b"")

            chunks = response.iter_bytes()  # as they arrive: the deadline is checked between
            content = _read_capped(read, url)
    except httpx.HTTPError as exc:
        if cached.is_file():
            return _read_file(str(cached))
        raise SpecLoadError(f"{url}: cannot fetch: {exc}") from None
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        cached.write_bytes(content)
    except OSError:
        pass
    return content


def _over_limit() -> str:
    return f"more than the {MAX_BYTES}-byte limit"


def _read_capped(read: Callable[[], bytes], name: str) -> bytes:
    """Every chunk ``read()`` returns until it returns ``b""``; refused past :data:`MAX_BYTES`."""
    chunks: list[bytes] = []
    total = 0
    while chunk := read():
        total += len(chunk)
        if total > MAX_BYTES:
            raise SpecLoadError(f"{name}: {_over_limit()}")
        chunks.append(chunk)
    return b"".join(chunks)


def _kind(mode: int) -> str:
    for test, name in (
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return name
    return "a special file"


def _read_file(path: str) -> bytes:
    """The bytes of a regular file of at most :data:`MAX_BYTES`; a one-line error otherwise.

    The file is checked with ``os.stat`` before it is opened (a FIFO is never opened, so nothing
    hangs), opened non-blocking and checked again, then read in chunks up to the cap.
    """
    try:
        mode = os.stat(path).st_mode
        if stat.S_ISDIR(mode):
            raise SpecLoadError(f"{path}: is a directory, not a spec file")
        if not stat.S_ISREG(mode):
            raise SpecLoadError(f"{path}: not a regular file ({_kind(mode)}); refused")
        flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise SpecLoadError(f"{path}: no such file") from None
    except OSError as exc:
        raise SpecLoadError(f"{path}: cannot read: {exc.strerror}") from None
    with os.fdopen(fd, "rb", buffering=0) as file:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):  # replaced between stat and open
            raise SpecLoadError(f"{path}: not a regular file ({_kind(info.st_mode)}); refused")
        if info.st_size > MAX_BYTES:
            raise SpecLoadError(f"{path}: {info.st_size} bytes, {_over_limit()}")
        try:
            return _read_capped(lambda: file.read(_CHUNK), path)
        except OSError as exc:
            raise SpecLoadError(f"{path}: cannot read: {exc.strerror}") from None


def _check_aliases(node: yaml.Node, name: str, limit: int) -> None:
    """Refuse a composed YAML node graph whose aliases would expand it past ``limit`` nodes.

    Aliases compose to shared (or, when recursive, cyclic) nodes, so composing costs what the
    text does; what explodes is the expansion. This counts the nodes of the expanded tree,
    depth first, and stops at ``limit``: linear in the document for a document without a bomb.
    """
    count = 0
    stack: list[yaml.Node] = [node]
    while stack:
        current = stack.pop()
        count += 1
        if count > limit:
            mark = current.start_mark
            where = f"{name}:{mark.line + 1}:{mark.column + 1}" if mark else name
            raise SpecLoadError(
                f"{where}: YAML aliases expand the document past {limit} nodes; refused "
                "(an alias bomb or a recursive alias)"
            )
        if isinstance(current, yaml.MappingNode):
            for key, value in current.value:
                stack.append(key)
                stack.append(value)
        elif isinstance(current, yaml.SequenceNode):
            stack.extend(current.value)


def _load_yaml(text: str, name: str, limit: int) -> Any:
    """``yaml.load`` with libyaml's composer and the alias check between composing and building."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_aliases(node, name, limit)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def parse_document(data: bytes, name: str) -> Any:
    """Parse YAML or JSON bytes; errors name the file with line and column.

    YAML aliases may add at most :data:`MAX_ALIAS_NODES` nodes (alias bombs are refused before
    they expand); documents nested too deeply to build are refused.

    >>> parse_document(b'openapi: 3.0.0', "x.yaml")
    {'openapi': '3.0.0'}
    """
    text = data.decode("utf-8-sig", errors="replace")
    try:
        return _parse(text, name, limit=len(data) + MAX_ALIAS_NODES)
    except RecursionError:
        raise SpecLoadError(f"{name}: nested too deeply to read") from None


def _parse(text: str, name: str, *, limit: int) -> Any:
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
            doc = _load_yaml(text, name, limit)
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

    Only regular files are read, and at most :data:`MAX_BYTES` of a file or body.

    >>> raw = read_bytes(to_uri("openapi.yaml"))  # doctest: +SKIP
    """
    if uri.startswith("file://"):
        return _read_file(unquote(urlsplit(uri).path))
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
