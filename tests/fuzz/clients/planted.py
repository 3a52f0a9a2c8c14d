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
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
import urllib.error
import urllib.request
from typing import Any

BODY = json.dumps({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]})


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


def strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in strings(k) + strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in strings(v)]
    return []


def main(mode: str) -> int:
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
