"""``$ref`` resolution across the root document and the files or URLs it references.

A location is an absolute URI with a JSON-pointer fragment: ``file:///x/openapi.yaml#/components/schemas/A``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import unquote, urljoin

from ..errors import RefError, SpecLoadError

__all__ = ["Documents", "escape", "join_pointer", "pointer_get", "split_location"]

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


class Documents:
    """The root document and every document it references, loaded on first use.

    >>> docs = Documents("file:///spec.yaml", {"a": {"$ref": "#/b"}, "b": 1}, loader=None)
    >>> docs.resolve("#/b", "file:///spec.yaml", where="#/a")
    ('file:///spec.yaml#/b', 1)
    """

    def __init__(self, root_uri: str, root: Any, loader: Loader | None) -> None:
        self.root_uri = root_uri
        self.by_uri: dict[str, Any] = {root_uri: root}
        self._loader = loader

    def document(self, uri: str, *, where: str) -> Any:
        """The document at ``uri``, loading it on first use."""
        if uri not in self.by_uri:
            if self._loader is None:
                raise RefError(f"{where}: $ref to {uri}: external documents are not allowed here")
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
            return location, pointer_get(self.document(uri, where=where), pointer)
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
                raise RefError(f"{location}: $ref cycle without a schema in it")
            seen.add(location)
        return location, node

    def label(self, location: str) -> str:
        """A short name for a location: the bare pointer in the root document."""
        uri, pointer = split_location(location)
        if uri == self.root_uri:
            return "#" + pointer
        return location
