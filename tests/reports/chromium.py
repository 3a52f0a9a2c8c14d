"""A headless Chromium driven over the Chrome DevTools Protocol through a pipe
(``--remote-debugging-pipe``: JSON messages ended by NUL on file descriptors 3 and 4), with the
standard library only — no driver, no websocket, no port. Tests and ``bench/bench_report.py``
open reports with it.

Debian's ``chromium`` is what it runs (``scripts/browser.sh`` installs it); ``CHROMIUM`` names
another binary.

>>> with Chromium() as browser:  # doctest: +SKIP
...     page = browser.open("file:///tmp/report.html")
...     page.evaluate("document.title")
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

__all__ = ["Chromium", "Page", "chromium_binary"]

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-dev-shm-usage",
    "--mute-audio",
    "--remote-debugging-pipe",
)


def chromium_binary() -> str | None:
    """The Chromium to run: ``$CHROMIUM``, else ``chromium`` on the PATH (``None``: none)."""
    given = os.environ.get("CHROMIUM")
    if given:
        return given
    return shutil.which("chromium") or shutil.which("chromium-browser")


class Chromium:
    """A headless browser process; ``open(url)`` gives a :class:`Page`."""

    def __init__(self, binary: str | None = None, *, width: int = 1400, height: int = 1000) -> None:
        found = binary or chromium_binary()
        if found is None:
            raise RuntimeError("no chromium found (bash scripts/browser.sh installs it)")
        self.binary = found
        self.size = (width, height)
        self._profile = tempfile.TemporaryDirectory(prefix="conformance-chromium-")
        self._next = 0
        self._buffer = b""
        self._events: list[dict[str, Any]] = []
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()
        # the child's fds 3 and 4: dup the pipe ends there after fork
        self._proc = subprocess.Popen(
            [
                self.binary,
                *FLAGS,
                f"--user-data-dir={self._profile.name}",
                f"--window-size={width},{height}",
                "about:blank",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            pass_fds=(3, 4),
            preexec_fn=lambda: (os.dup2(to_browser_r, 3), os.dup2(from_browser_w, 4)),
        )
        os.close(to_browser_r)
        os.close(from_browser_w)

    # -- the protocol ------------------------------------------------------------------------

    def send(
        self, method: str, params: dict[str, Any] | None = None, session: str | None = None
    ) -> Any:
        """Call ``method`` and wait for its result (events that arrive meanwhile are kept)."""
        self._next += 1
        message: dict[str, Any] = {"id": self._next, "method": method, "params": params or {}}
        if session is not None:
            message["sessionId"] = session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        while True:
            reply = self._read()
            if reply.get("id") == self._next:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self._events.append(reply)

    def wait_event(
        self, method: str, session: str | None = None, timeout: float = 30.0
    ) -> dict[str, Any]:
        """The next event named ``method`` (of ``session``)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for k, event in enumerate(self._events):
                if event.get("method") == method and event.get("sessionId") == session:
                    return self._events.pop(k)
            self._events.append(self._read(deadline - time.monotonic()))
        raise TimeoutError(f"no {method} within {timeout} s")

    def events(self, method: str) -> list[dict[str, Any]]:
        """The events named ``method`` received so far (and forgets them)."""
        found = [e for e in self._events if e.get("method") == method]
        self._events = [e for e in self._events if e.get("method") != method]
        return found

    def _read(self, timeout: float = 60.0) -> dict[str, Any]:
        import select

        deadline = time.monotonic() + timeout
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([self._from_browser], [], [], max(left, 0))
            if not ready:
                raise TimeoutError("chromium did not answer")
            chunk = os.read(self._from_browser, 1 << 20)
            if not chunk:
                raise RuntimeError("chromium closed the pipe (did it start?)")
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\0")
        loaded: dict[str, Any] = json.loads(line)
        return loaded

    # -- pages -------------------------------------------------------------------------------

    def open(self, url: str, timeout: float = 60.0) -> Page:
        """A new tab showing ``url``, once its load event has fired."""
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"
        ]
        page = Page(self, session, target)
        page.call("Page.enable")
        page.call("Network.enable")
        page.call(
            "Emulation.setDeviceMetricsOverride",
            {
                "width": self.size[0],
                "height": self.size[1],
                "deviceScaleFactor": 1,
                "mobile": False,
            },
        )
        page.call("Page.navigate", {"url": url})
        self.wait_event("Page.loadEventFired", session, timeout)
        return page

    def close(self) -> None:
        """Stop the browser and remove its profile."""
        with contextlib.suppress(RuntimeError, TimeoutError, OSError):
            self.send("Browser.close")
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        for fd in (self._to_browser, self._from_browser):
            with contextlib.suppress(OSError):
                os.close(fd)
        self._profile.cleanup()

    def __enter__(self) -> Chromium:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Page:
    """One tab: evaluate script, click, take a screenshot."""

    def __init__(self, browser: Chromium, session: str, target: str = "") -> None:
        self.browser = browser
        self.session = session
        self.target = target

    def call(self, method: str, params: dict[str, Any] | None = None) -> Any:
        """A protocol call in this tab."""
        return self.browser.send(method, params, self.session)

    def evaluate(self, expression: str) -> Any:
        """The value of a script expression (awaited when it is a promise)."""
        result = self.call(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression!r}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait(self, expression: str, timeout: float = 30.0) -> Any:
        """Poll ``expression`` until it is truthy; its value."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = self.evaluate(expression)
            if value:
                return value
            time.sleep(0.05)
        raise TimeoutError(f"{expression!r} still false after {timeout} s")

    def click(self, selector: str) -> None:
        """A real mouse click in the middle of the first element ``selector`` matches."""
        box = self.evaluate(
            f"(() => {{ const e = document.querySelector({json.dumps(selector)});"
            " if (!e) return null; e.scrollIntoView({block: 'center'});"
            " const r = e.getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; })()"
        )
        if box is None:
            raise LookupError(f"nothing matches {selector!r}")
        for kind in ("mousePressed", "mouseReleased"):
            self.call(
                "Input.dispatchMouseEvent",
                {"type": kind, "x": box[0], "y": box[1], "button": "left", "clickCount": 1},
            )

    def metrics(self) -> dict[str, float]:
        """The tab's performance counters (``Nodes``, ``JSHeapUsedSize``, ``LayoutDuration``…)."""
        self.call("Performance.enable")
        found = self.call("Performance.getMetrics")["metrics"]
        return {m["name"]: m["value"] for m in found}

    def close(self) -> None:
        """Close the tab."""
        self.browser.send("Target.closeTarget", {"targetId": self.target})

    def screenshot(self, path: str | Path) -> Path:
        """A PNG of the viewport."""
        import base64

        data = self.call("Page.captureScreenshot", {"format": "png"})["data"]
        out = Path(path)
        out.write_bytes(base64.b64decode(data))
        return out
