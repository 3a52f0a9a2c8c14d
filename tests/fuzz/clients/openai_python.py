"""A fuzz client: one openai-python call per run, what it parsed printed as one JSON line.

Usage: OPENAI_BASE_URL=… OPENAI_API_KEY=… python openai_python.py CALL   (CALL: see --list)

Exceptions are left to propagate (a traceback, exit 1), so the harness sees their type; the
printed JSON is the oracle's: what the SDK made of the answer (``to_dict``; a stream, the list of
its events).
"""

from __future__ import annotations

import json
import sys
from typing import Any

import openai

MODEL = "gpt-4o-mini"
MESSAGES = [{"role": "user", "content": "Say hello."}]


def _dump(value: Any) -> Any:
    return value.to_dict(mode="json") if hasattr(value, "to_dict") else value


def models(client: openai.OpenAI) -> Any:
    page = client.models.list()
    return {"object": page.object, "data": [_dump(m) for m in page.data]}


def chat(client: openai.OpenAI) -> Any:
    return client.chat.completions.create(model=MODEL, messages=MESSAGES)  # type: ignore[arg-type]


def chat_stream(client: openai.OpenAI) -> Any:
    stream = client.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True)  # type: ignore[arg-type]
    return [_dump(chunk) for chunk in stream]


def embeddings_float(client: openai.OpenAI) -> Any:
    return client.embeddings.create(
        model="text-embedding-3-small", input="hi", encoding_format="float"
    )


def embeddings_base64(client: openai.OpenAI) -> Any:
    return client.embeddings.create(
        model="text-embedding-3-small", input="hi", encoding_format="base64"
    )


def files_create(client: openai.OpenAI) -> Any:
    return client.files.create(file=("notes.txt", b"hello\n", "text/plain"), purpose="assistants")


def files_retrieve(client: openai.OpenAI) -> Any:
    created = client.files.create(
        file=("notes.txt", b"hello\n", "text/plain"), purpose="assistants"
    )
    return client.files.retrieve(created.id)


def responses(client: openai.OpenAI) -> Any:
    return client.responses.create(model=MODEL, input="Say hello.")


def responses_stream(client: openai.OpenAI) -> Any:
    return [
        _dump(event)
        for event in client.responses.create(model=MODEL, input="Say hello.", stream=True)
    ]


CALLS = {
    name.replace("_", "-"): f
    for name, f in list(globals().items())
    if callable(f) and getattr(f, "__module__", "") == __name__ and not name.startswith("_")
}


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0] not in CALLS:
        if argv == ["--list"]:
            print(",".join(CALLS))
            return 0
        print(f"usage: openai_python.py CALL (one of {', '.join(CALLS)})", file=sys.stderr)
        return 2
    client = openai.OpenAI()
    print(json.dumps(_dump(CALLS[argv[0]](client)), ensure_ascii=False, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
