"""``Target``: the server a suite runs against — base URL, auth from an environment variable
(never printed), model names per operation family, extra headers, the operations to run — and
``Budget``: how much a run may ask of it.

A target file is TOML::

    base_url = "http://127.0.0.1:8080/v1"
    api_key_env = "MY_SERVER_KEY"          # the key is read from this variable, never stored
    operations = ["createChatCompletion", "createEmbedding", "listModels"]   # or tags = [...]
    headers = {"x-tenant" = "ci"}
    [models]
    chat = "qwen2.5-0.5b-instruct"
    embeddings = "all-minilm-l6-v2"

>>> Target("http://127.0.0.1:8080/v1", models={"chat": "m"}).model_for("createChatCompletion")
'm'
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ..errors import InputError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib  # type: ignore[import-not-found,no-redef,unused-ignore]

__all__ = ["FAMILIES", "Budget", "Target", "family_of", "load_target"]

# operationId → the family whose model name it takes (the user's model names, per family)
FAMILIES: dict[str, tuple[str, ...]] = {
    "chat": ("createChatCompletion",),
    "completions": ("createCompletion",),
    "embeddings": ("createEmbedding",),
    "responses": ("createResponse",),
    "images": ("createImage", "createImageEdit", "createImageVariation"),
    "audio": ("createSpeech", "createTranscription", "createTranslation"),
    "moderations": ("createModeration",),
}
_FAMILY = {op: family for family, ops in FAMILIES.items() for op in ops}


def family_of(operation: str) -> str | None:
    """The model family of an operation (``None``: it names no model of its own).

    >>> family_of("createEmbedding"), family_of("listFiles")
    ('embeddings', None)
    """
    return _FAMILY.get(operation)


@dataclass(frozen=True)
class Budget:
    """What a run may spend: ``requests`` in all, ``tokens`` (summed from the answers'
    ``usage``), ``seconds`` of wall time, ``rate`` (requests per second, 0 = unlimited),
    ``timeout`` per request (seconds until the answer's head, and between stream events),
    stream bounds (``stream_events``, ``stream_bytes``), ``retries`` of a 429, and
    ``max_tokens``: the token limit put on generating requests (small, so a CPU model answers fast).

    >>> Budget(requests=100).requests
    100
    """

    requests: int = 2000
    tokens: int = 200_000
    seconds: float = 600.0
    rate: float = 0.0
    timeout: float = 60.0
    stream_events: int = 10_000
    stream_bytes: int = 16 * 1024 * 1024
    retries: int = 3
    max_tokens: int = 16

    def __post_init__(self) -> None:
        for name in ("requests", "tokens", "stream_events", "stream_bytes", "max_tokens"):
            if getattr(self, name) < 1:
                raise InputError(f"budget {name} must be at least 1 (got {getattr(self, name)})")
        for name in ("seconds", "timeout"):
            if not getattr(self, name) > 0:
                raise InputError(f"budget {name} must be positive (got {getattr(self, name)})")
        if self.rate < 0 or self.retries < 0:
            raise InputError("budget rate and retries must not be negative")


@dataclass(frozen=True)
class Target:
    """A server to run against. ``api_key_env`` names the environment variable holding the
    key (sent as ``Authorization: Bearer …``; ``None``: no key). ``models`` maps a family
    (``FAMILIES``: chat, completions, embeddings, responses, images, audio, moderations) to the
    model name to send; ``default_model`` fills the families not listed (``None``: keep what the
    spec's examples suggest). ``operations``/``tags`` choose what runs (empty: everything).
    """

    base_url: str
    api_key_env: str | None = "OPENAI_API_KEY"
    models: Mapping[str, str] = field(default_factory=dict)
    default_model: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    operations: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    name: str = ""

    def __post_init__(self) -> None:
        parts = urlsplit(self.base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise InputError(f"target base URL {self.base_url!r} is not an http(s) URL")
        unknown = sorted(set(self.models) - set(FAMILIES))
        if unknown:
            raise InputError(
                f"target models: unknown family {unknown[0]!r} (families: {', '.join(FAMILIES)})"
            )
        object.__setattr__(self, "base_url", self.base_url.rstrip("/"))

    def model_for(self, operation: str) -> str | None:
        """The model name to send for an operation (``None``: leave the drawn one)."""
        family = family_of(operation)
        if family is None:
            return None
        return self.models.get(family, self.default_model)

    def request_headers(self) -> dict[str, str]:
        """The headers every request carries: the target's, and the key's ``Authorization``
        when its variable is set."""
        headers = dict(self.headers)
        key = os.environ.get(self.api_key_env) if self.api_key_env else None
        if key:
            headers["Authorization"] = f"Bearer {key}"
        return headers

    def secrets(self) -> list[str]:
        """Values to redact from everything the run keeps: the key, and header values."""
        key = os.environ.get(self.api_key_env) if self.api_key_env else None
        return [v for v in (key, *self.headers.values()) if v]

    def describe(self) -> dict[str, Any]:
        """The target as a report shows it: never the key, only the variable's name."""
        return {
            "name": self.name,
            "base_url": self.base_url,
            "api_key_env": self.api_key_env,
            "models": dict(self.models),
            "default_model": self.default_model,
            "headers": sorted(self.headers),
            "operations": list(self.operations),
            "tags": list(self.tags),
        }

    def with_models(self, given: Iterable[str], flag: str = "--model") -> Target:
        """A copy with the command line's model names over the target's: ``NAME`` for every
        family, ``FAMILY=NAME`` for one (``flag`` names the option in errors).

        >>> Target("http://h/v1").with_models(["m", "chat=c"]).model_for("createChatCompletion")
        'c'
        """
        models: dict[str, str] = {}
        default_model = None
        for one in given:
            family, sep, name = one.partition("=")
            if not sep:
                default_model = one
            elif family not in FAMILIES:
                raise InputError(f"{flag} {one}: unknown family {family!r} ({', '.join(FAMILIES)})")
            else:
                models[family] = name
        if not models and default_model is None:
            return self
        return replace(
            self,
            models={**self.models, **models},
            default_model=default_model or self.default_model,
        )

    def with_(self, **changes: Any) -> Target:
        """A copy with some fields changed (the CLI's flags over a target file)."""
        return replace(self, **changes)


def load_target(path: str | Path) -> Target:
    """A target from a TOML file (see the module's docstring).

    >>> load_target("servers/llama.toml").base_url  # doctest: +SKIP
    'http://127.0.0.1:8080/v1'
    """
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read the target file: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{path}: not TOML: {exc}") from None
    known = {"base_url", "api_key_env", "models", "default_model", "headers", "operations"}
    known |= {"tags", "name"}
    unknown = sorted(set(data) - known)
    if unknown:
        raise InputError(f"{path}: unknown key {unknown[0]!r} (keys: {', '.join(sorted(known))})")
    if "base_url" not in data:
        raise InputError(f"{path}: base_url is missing")
    for key in ("models", "headers"):
        value = data.get(key, {})
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            raise InputError(f"{path}: {key} must be a table of strings")
    try:
        return Target(
            str(data["base_url"]),
            data.get("api_key_env", "OPENAI_API_KEY"),
            dict(data.get("models", {})),
            data.get("default_model"),
            dict(data.get("headers", {})),
            tuple(data.get("operations", ())),
            tuple(data.get("tags", ())),
            str(data.get("name") or path.stem),
        )
    except InputError as exc:
        raise InputError(f"{path}: {exc}") from None
