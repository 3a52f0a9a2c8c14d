"""The ceiling for bench_mock.py: an ASGI app answering every request with one fixed body.

    python bench/static_asgi.py PORT BODY_FILE

Served by the same stack as ``conformance mock`` (uvicorn, one process, httptools and uvloop when
installed, access log off, no server header: the settings of ``conformance/mock/server.py``). The
app reads the request body as the mock's app does, then sends ``200 application/json`` with
the file's bytes, so the figure is what the HTTP stack alone costs per request.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

import uvicorn

Message = MutableMapping[str, Any]


def app_for(body: bytes) -> Callable[..., Awaitable[None]]:
    head = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]

    async def app(
        scope: MutableMapping[str, Any],
        receive: Callable[[], Awaitable[Message]],
        send: Callable[[Message], Awaitable[None]],
    ) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        more = True
        while more:  # read the request body, as the mock's app does
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            more = message.get("more_body", False)
        await send({"type": "http.response.start", "status": 200, "headers": head})
        await send({"type": "http.response.body", "body": body, "more_body": False})

    return app


def main() -> None:
    port, body_file = int(sys.argv[1]), Path(sys.argv[2])
    uvicorn.run(
        app_for(body_file.read_bytes()),
        host="127.0.0.1",
        port=port,
        http="httptools" if importlib.util.find_spec("httptools") else "h11",
        loop="uvloop" if importlib.util.find_spec("uvloop") else "asyncio",
        lifespan="on",
        log_level="warning",
        access_log=False,
        server_header=False,
    )


if __name__ == "__main__":
    main()
