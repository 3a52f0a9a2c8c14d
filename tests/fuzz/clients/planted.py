"""A tiny fuzz client with planted bugs, for the harness' own tests (stdlib only: fast to start).

Usage: OPENAI_BASE_URL=… OPENAI_API_KEY=… python planted.py MODE
  nonascii  one chat completion; crashes (UnicodeEncodeError) when a string in it is not ASCII
  hang      one chat completion, then never exits
  loop      sends the same chat completion request 12 times, then exits 0
  echo      one chat completion; prints the body received
  crash     one chat completion, then kills itself (SIGKILL)
  typed     one chat completion, then fails with a typed exception (exception: openai.APIError)
  lie       one chat completion; prints the body received with its id changed (for --oracle)
  invalid   one chat completion without messages (a request the spec forbids); prints the answer
  sse-ids   one chat completion stream, its events decoded as openai-python 3.63 does: after an
            'id:' field every blank line dispatches, so a comment block between events is an
            empty event and json.loads("") raises JSONDecodeError; prints the chunks' content
"""

from __future__ import annotations

import json
import os
import re
import signal
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

BODY = json.dumps({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]})
STREAM = json.dumps({**json.loads(BODY), "stream": True})
LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)")


def chat(body: str = BODY) -> bytes:
    request = urllib.request.Request(
        os.environ["OPENAI_BASE_URL"] + "/chat/completions",
        data=body.encode(),
        headers={
            "authorization": "Bearer " + os.environ["OPENAI_API_KEY"],
            "content-type": "application/json",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return bytes(response.read())
    except urllib.error.HTTPError as exc:
        return bytes(exc.read())


def sse_data(raw: bytes) -> Iterator[str]:
    """The data of each event openai-python 3.63's ``SSEDecoder`` dispatches (the planted bug:
    it dispatches at a blank line unless no event, data, last id and retry — and the last id
    is kept across events)."""
    event: str | None = None
    data: list[str] = []
    last_id: str | None = None
    retry: int | None = None
    for match in LINE.finditer(raw.decode("utf-8")):
        line = match.group().rstrip("\r\n")
        if not line:
            if event or data or last_id or retry is not None:
                yield "\n".join(data)
                event, data, retry = None, [], None
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if name == "event":
            event = value
        elif name == "data":
            data.append(value)
        elif name == "id" and "\0" not in value:
            last_id = value
        elif name == "retry" and value.isdigit():
            retry = int(value)


def strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in strings(k) + strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in strings(v)]
    return []


def main(mode: str) -> int:
    if mode == "sse-ids":
        text = ""
        for data in sse_data(chat(STREAM)):
            if data == "[DONE]":
                break
            for choice in json.loads(data).get("choices", []):  # the bug: json.loads("")
                text += (choice.get("delta") or {}).get("content") or ""
        sys.stdout.write(json.dumps(text) + "\n")
        return 0
    if mode == "loop":
        for _ in range(12):
            chat()
        return 0
    body = chat(json.dumps({"model": "gpt-4o-mini"}) if mode == "invalid" else BODY)
    if mode == "crash":
        os.kill(os.getpid(), signal.SIGKILL)
    if mode == "typed":
        sys.stderr.write("exception: openai.APIError: planted\n")
        return 1
    if mode == "lie":
        parsed = json.loads(body)
        parsed["id"] = "planted-" + str(parsed.get("id"))
        body = json.dumps(parsed).encode()
    if mode == "hang":
        time.sleep(3600)
    if mode == "nonascii":
        for text in strings(json.loads(body)):
            text.encode("ascii")  # the planted bug: UnicodeEncodeError on any non-ASCII char
    sys.stdout.write(body.decode("utf-8", "replace") + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
