"""Rules: generated images (``createImage``, ``createImageEdit``, ``createImageVariation``) as
the API sends them for the request — one form per image, the one asked, a real URL or image.

What the real API sends (../shared/real-traffic, 9 answers, dall-e-2 and dall-e-3): each image
is ``{"url": "https://oaidalleapiprodscus.blob.core.windows.net/…"}`` alone (``url`` is the
default ``response_format``), and dall-e-3 adds a long non-empty ``revised_prompt``. OpenAI's
docs: ``response_format: b64_json`` answers ``b64_json`` instead, and the gpt-image models always
answer ``b64_json`` (they take no ``response_format``).

>>> x = Exchange("createImage", {"prompt": "a cat", "model": "dall-e-3"},
...              body={"created": 1, "data": [{"url": "", "b64_json": "zK0L", "revised_prompt": ""}]})
>>> sorted({v.code for v in check(x)})  # doctest: +SKIP
['rule.images.b64', 'rule.images.form', 'rule.images.revised-prompt', 'rule.images.url']
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from ..violation import WARNING
from .exchange import Exchange
from .registry import Finding, rule

__all__ = ["PIXEL", "asked_form", "image_model", "is_image"]

Obj = dict[str, Any]
_OPS = ("createImage", "createImageEdit", "createImageVariation")
FORMS = ("url", "b64_json")

# a 1x1 transparent PNG
PIXEL = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="
)
# the first bytes of the image files the API makes (png, jpeg, webp; gif for good measure)
_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a")


def image_model(x: Exchange) -> str:
    """The model that made the images: the one asked, else the operation's default (dall-e-2).

    >>> image_model(Exchange("createImage", {"prompt": "p"}))
    'dall-e-2'
    """
    model = x.asked("model")
    return model if isinstance(model, str) else "dall-e-2"


def _gpt_image(model: str) -> bool:
    return model.startswith(("gpt-image", "chatgpt-image"))


def asked_form(x: Exchange) -> str:
    """``url`` or ``b64_json``: what each image must be (gpt-image models: always b64_json).

    >>> asked_form(Exchange("createImage", {"prompt": "p", "model": "gpt-image-1"}))
    'b64_json'
    """
    if _gpt_image(image_model(x)):
        return "b64_json"
    return "b64_json" if x.asked("response_format") == "b64_json" else "url"


def is_image(value: Any) -> bool:
    """True for base64 text of an image file (PNG, JPEG, WebP or GIF).

    >>> is_image(PIXEL), is_image("zK0L")
    (True, False)
    """
    if not isinstance(value, str):
        return False
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return False
    return raw.startswith(_MAGIC) or (raw[:4] == b"RIFF" and raw[8:12] == b"WEBP")


def _https(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme == "https" and bool(parts.hostname)


def _images(x: Exchange) -> Iterator[tuple[int, Obj]]:
    data = x.body.get("data") if isinstance(x.body, dict) and x.status < 300 else None
    if isinstance(data, list):
        for i, item in enumerate(data):
            if isinstance(item, dict):
                yield i, item


def _made_url(x: Exchange, i: int) -> str:
    seed = f"{x.asked('prompt', '')}|{x.body.get('created')}|{i}".encode()
    return f"https://images.example/img-{hashlib.sha256(seed).hexdigest()[:24]}.png"


def _no_data(x: Exchange) -> bool:
    """True for a JSON 2xx answer without its list of images (2026-08 leaves ``data``
    optional; the API always sends it)."""
    return isinstance(x.body, dict) and x.status < 300 and not isinstance(x.body.get("data"), list)


def _asked_n(x: Exchange) -> int:
    n = x.asked("n", 1)
    if isinstance(n, str) and n.isdigit():  # a multipart form's field
        n = int(n)
    return n if isinstance(n, int) and not isinstance(n, bool) and 0 < n <= 10 else 1


@rule("rule.images.form", operations=_OPS, request=True, stream=False)
def images_form(x: Exchange) -> Iterator[Finding]:
    """Exactly one of url / b64_json per image, the one asked."""
    want = asked_form(x)
    if _no_data(x):
        yield Finding("the answer has no images (no data list)", "/data", expected=want)
    other = "url" if want == "b64_json" else "b64_json"
    for i, item in _images(x):
        if item.get(other) is not None:
            yield Finding(
                f"image {i} has {other}, {want} was asked",
                f"/data/{i}/{other}",
                expected=want,
                actual=other,
                param="response_format",
            )
        elif item.get(want) is None:
            yield Finding(
                f"image {i} has no {want}", f"/data/{i}", expected=want, param="response_format"
            )


@images_form.fixer
def _fix_form(x: Exchange) -> None:
    want = asked_form(x)
    if _no_data(x):
        x.body["data"] = [{} for _ in range(_asked_n(x))]
    for i, item in _images(x):
        for key in FORMS:
            if key != want:
                item.pop(key, None)
        if item.get(want) is None:
            item[want] = PIXEL if want == "b64_json" else _made_url(x, i)


@rule("rule.images.url", operations=_OPS, stream=False, reshapes=False)
def images_url(x: Exchange) -> Iterator[Finding]:
    """An image's url is an absolute https URL."""
    for i, item in _images(x):
        if "url" in item and item["url"] is not None and not _https(item["url"]):
            yield Finding(
                f"image {i}'s url is not an https URL",
                f"/data/{i}/url",
                expected="https://…",
                actual=str(item["url"])[:80],
            )


@images_url.fixer
def _fix_url(x: Exchange) -> None:
    for i, item in _images(x):
        if "url" in item and item["url"] is not None and not _https(item["url"]):
            item["url"] = _made_url(x, i)


@rule("rule.images.b64", operations=_OPS, stream=False, reshapes=False)
def images_b64(x: Exchange) -> Iterator[Finding]:
    """An image's b64_json is base64 of an image file."""
    for i, item in _images(x):
        value = item.get("b64_json")
        if value is not None and not is_image(value):
            yield Finding(
                f"image {i}'s b64_json is not base64 of a PNG, JPEG, WebP or GIF file",
                f"/data/{i}/b64_json",
                expected="base64 of an image",
                actual=str(value)[:40],
            )


@images_b64.fixer
def _fix_b64(x: Exchange) -> None:
    for _, item in _images(x):
        if item.get("b64_json") is not None and not is_image(item["b64_json"]):
            item["b64_json"] = PIXEL


def _revises(x: Exchange) -> bool | None:
    """True: the model revises prompts (dall-e-3); False: it does not; None: unknown model."""
    model = image_model(x)
    if model.startswith("dall-e-3"):
        return True
    if model.startswith("dall-e-2") or _gpt_image(model):
        return False
    return None


@rule("rule.images.revised-prompt", operations=_OPS, request=True, stream=False, severity=WARNING)
def images_revised_prompt(x: Exchange) -> Iterator[Finding]:
    """dall-e-3: a non-empty revised_prompt on each image; dall-e-2, gpt-image: none."""
    revises = _revises(x)
    if revises is None:
        return
    for i, item in _images(x):
        prompt = item.get("revised_prompt")
        if revises and not (isinstance(prompt, str) and prompt.strip()):
            yield Finding(
                f"image {i} by dall-e-3 has no revised_prompt",
                f"/data/{i}",
                expected="a non-empty revised_prompt",
                actual=prompt,
            )
        elif not revises and prompt is not None:
            yield Finding(
                f"image {i} has a revised_prompt, which {image_model(x)} does not give",
                f"/data/{i}/revised_prompt",
                actual=str(prompt)[:80],
            )


@images_revised_prompt.fixer
def _fix_revised_prompt(x: Exchange) -> None:
    revises = _revises(x)
    asked = x.asked("prompt")
    text = asked.strip() if isinstance(asked, str) and asked.strip() else "An image"
    for _, item in _images(x):
        prompt = item.get("revised_prompt")
        if revises and not (isinstance(prompt, str) and prompt.strip()):
            item["revised_prompt"] = (
                f"{text.rstrip('.')}. The scene is rendered in rich detail, with soft natural "
                "light and a balanced composition."
            )
        elif revises is False:
            item.pop("revised_prompt", None)
