"""``$ref`` resolution across the root document and the files or URLs it references.

A location is an absolute URI with a JSON-pointer fragment: ``file:///x/openapi.yaml#/components/schemas/A``.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

from ..errors import RefError, RefNotAllowedError, SpecLoadError

__all__ = ["Documents", "RefPolicy", "escape", "join_pointer", "pointer_get", "split_location"]

Loader = Callable[[str], Any]


def escape(token: str) -> str:
    """Escape one reference token for a JSON pointer.

    >>> escape("/chat/completions")
    '~1chat~1completions'
    """
    return token.replace("~", "~0").replace("/", "~1")


def unescape(token: str) -> str:
    """Unescape one reference token of a JSON pointer.

    >>> unescape("~1chat~1completions")
    '/chat/completions'
    """
    return token.replace("~1", "/").replace("~0", "~")


def join_pointer(pointer: str, *tokens: str | int) -> str:
    """Append tokens to a JSON pointer.

    >>> join_pointer("/paths", "/models", "get")
    '/paths/~1models/get'
    """
    return pointer + "".join("/" + escape(str(t)) for t in tokens)


def pointer_get(document: Any, pointer: str) -> Any:
    """The value at a JSON pointer (``""`` is the whole document); KeyError when absent.

    >>> pointer_get({"a": [1, {"b": 2}]}, "/a/1/b")
    2
    """
    node = document
    if pointer in ("", "/") and pointer == "":
        return node
    for raw in pointer.split("/")[1:]:
        token = unescape(raw)
        if isinstance(node, dict):
            if token not in node:
                raise KeyError(pointer)
            node = node[token]
        elif isinstance(node, list):
            if not token.isdigit() or int(token) >= len(node):
                raise KeyError(pointer)
            node = node[int(token)]
        else:
            raise KeyError(pointer)
    return node


def split_location(location: str) -> tuple[str, str]:
    """Split ``uri#pointer`` into the document URI and the decoded pointer.

    >>> split_location("file:///a.yaml#/components/schemas/A%20B")
    ('file:///a.yaml', '/components/schemas/A B')
    """
    uri, _, fragment = location.partition("#")
    return uri, unquote(fragment) if "%" in fragment else fragment


def _origin(uri: str) -> tuple[str, str]:
    parts = urlsplit(uri)
    default = {"http": 80, "https": 443}.get(parts.scheme.lower())
    try:
        port = parts.port or default
    except ValueError:
        port = None
    return parts.scheme.lower(), f"{(parts.hostname or '').lower()}:{port}"


def _url_path(uri: str) -> str:
    """The decoded, dot-free path of a URL (``/a/./b/../c`` → ``/a/c``)."""
    path = posixpath.normpath(unquote(urlsplit(uri).path) or "/")
    return "/" + path.lstrip("/")


def _under(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


class RefPolicy:
    """Which documents a spec's ``$ref`` may read.

    A local spec reads files in its own folder and below; a spec fetched over http(s) reads its
    own origin (scheme, host, port) and never a local file. ``allow`` adds folders (paths or
    ``file://`` URIs) and URL prefixes (``https://host/schemas/``, matched on whole path
    segments); files are compared after symlinks are resolved.

    >>> policy = RefPolicy("file:///specs/openapi.yaml")
    >>> policy.refusal("file:///specs/common/a.yaml") is None
    True
    >>> policy.refusal("file:///etc/passwd")
    'outside /specs (allow it with allow_refs=)'
    """

    def __init__(self, root_uri: str, allow: Iterable[str | os.PathLike[str]] = ()) -> None:
        self.remote = urlsplit(root_uri).scheme.lower() in ("http", "https")
        self.origin = _origin(root_uri) if self.remote else None
        self.folders: list[str] = []
        self.prefixes: list[tuple[tuple[str, str], str]] = []
        if not self.remote:
            self.folders.append(os.path.dirname(_file_path(root_uri)))
        for entry in allow:
            text = os.fspath(entry)
            if urlsplit(text).scheme.lower() in ("http", "https"):
                self.prefixes.append((_origin(text), _url_path(text)))
            else:
                uri = text if text.startswith("file://") else Path(text).resolve().as_uri()
                self.folders.append(_file_path(uri))

    def refusal(self, uri: str) -> str | None:
        """Why ``uri`` may not be read, or None when it may."""
        scheme = urlsplit(uri).scheme.lower()
        if scheme in ("http", "https"):
            if self.origin is not None and _origin(uri) == self.origin:
                return None
            origin, path = _origin(uri), _url_path(uri)
            if any(origin == o and _under(path, p) for o, p in self.prefixes):
                return None
            if self.remote:
                return "not the spec's origin (allow it with allow_refs=)"
            return "a local spec fetches no URL unless allowed (allow it with allow_refs=)"
        if scheme == "file":
            if self.remote:
                return "a spec fetched over http(s) never reads local files"
            path = _file_path(uri)
            if any(_under(path, folder) for folder in self.folders):
                return None
            return f"outside {self.folders[0]} (allow it with allow_refs=)"
        return f"unsupported URI scheme {scheme!r}"


def _file_path(uri: str) -> str:
    """The real path of a ``file://`` URI: decoded, symlinks and ``..`` resolved."""
    return os.path.realpath(unquote(urlsplit(uri).path))


class Documents:
    """The root document and every document it references, loaded on first use.

    >>> docs = Documents("file:///spec.yaml", {"a": {"$ref": "#/b"}, "b": 1}, loader=None)
    >>> docs.resolve("#/b", "file:///spec.yaml", where="#/a")
    ('file:///spec.yaml#/b', 1)
    """

    def __init__(
        self,
        root_uri: str,
        root: Any,
        loader: Loader | None,
        *,
        policy: RefPolicy | None = None,
        name: str | None = None,
    ) -> None:
        self.root_uri = root_uri
        self.by_uri: dict[str, Any] = {root_uri: root}
        self._loader = loader
        self.policy = policy
        # what errors call the root document: the path or URL as the user gave it
        self.name = name if name is not None else unquote(root_uri.removeprefix("file://"))

    def document(self, uri: str, *, where: str, ref: str | None = None) -> Any:
        """The document at ``uri``, loading it on first use (if the policy allows it)."""
        if uri not in self.by_uri:
            if self._loader is None:
                raise RefError(f"{where}: $ref to {uri}: external documents are not allowed here")
            reason = self.policy.refusal(uri) if self.policy is not None else None
            if reason is not None:
                raise RefNotAllowedError(f"{where}: $ref {ref or uri!r} refused: {reason}")
            try:
                self.by_uri[uri] = self._loader(uri)
            except SpecLoadError as exc:
                raise RefError(f"{where}: $ref target cannot be loaded: {exc}") from None
        return self.by_uri[uri]

    def get(self, location: str, *, where: str = "") -> Any:
        """The node at an absolute location."""
        uri, pointer = split_location(location)
        try:
            return pointer_get(self.document(uri, where=where or location), pointer)
        except KeyError:
            raise RefError(f"{where or location}: $ref target {location} does not exist") from None

    def absolute(self, ref: str, base_uri: str) -> str:
        """The absolute location a ``$ref`` written in ``base_uri`` points at."""
        if ref.startswith("#"):
            return base_uri + (unquote(ref) if "%" in ref else ref)
        uri, pointer = split_location(urljoin(base_uri, ref))
        return f"{uri}#{pointer}"

    def resolve(self, ref: str, base_uri: str, *, where: str) -> tuple[str, Any]:
        """Resolve one ``$ref`` to (absolute location, target node)."""
        location = self.absolute(ref, base_uri)
        uri, pointer = split_location(location)
        try:
            return location, pointer_get(self.document(uri, where=where, ref=ref), pointer)
        except KeyError:
            shown = ref if uri == base_uri else location
            raise RefError(
                f"{where}: dangling $ref {shown!r}: nothing at {pointer or '/'}"
            ) from None

    def deref(self, node: Any, location: str) -> tuple[str, Any]:
        """Follow ``$ref`` chains from ``node`` (found at ``location``) to a non-ref node."""
        seen = {location}
        while isinstance(node, dict) and isinstance(node.get("$ref"), str):
            base = split_location(location)[0]
            location, node = self.resolve(node["$ref"], base, where=location)
            if location in seen:
                raise RefError(f"{self.where(location)}: $ref cycle with no schema in it")
            seen.add(location)
        return location, node

    def label(self, location: str) -> str:
        """A short name for a location: the bare pointer in the root document."""
        uri, pointer = split_location(location)
        if uri == self.root_uri:
            return "#" + pointer
        return location

    def where(self, location: str) -> str:
        """A location as errors name it: the root document's name and pointer, else the URI.

        >>> Documents("file:///s/a.yaml", {}, None, name="a.yaml").where("file:///s/a.yaml#/x")
        'a.yaml#/x'
        """
        label = self.label(location)
        return self.name + label if label.startswith("#") else label
