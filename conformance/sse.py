"""Server-Sent Events: the one place that parses and encodes ``text/event-stream``.

Parsing follows the HTML Living Standard, "event stream interpretation"
(https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation):

* lines end with CRLF, LF or CR (a CR ending one chunk and an LF starting the next are one
  line end); a leading UTF-8 BOM is stripped once; bytes are decoded as UTF-8 with replacement;
* a line starting with ``:`` is a comment; ``field:value`` loses one optional space after the
  colon; a line without a colon is a field with an empty value;
* ``event`` sets the event type, ``data`` appends to the data buffer, ``id`` sets the last event
  ID (ignored when it contains U+0000), ``retry`` sets the reconnection time (ASCII digits only);
  other fields are ignored;
* a blank line dispatches the block; a block with an empty data buffer dispatches nothing;
* at end of stream an unterminated block is discarded, not dispatched.

Where the standard silently ignores something a validator wants to hear about, the parser records
a :class:`FramingIssue` (line number and a one-line message) and otherwise behaves exactly as the
standard says: an unterminated final block, an ``event:`` block without data, an unknown field,
an ``id`` containing NULL, a non-numeric ``retry`` and invalid UTF-8 (reported once).

Standard library only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

__all__ = [
    "Event",
    "FramingIssue",
    "Parsed",
    "Parser",
    "encode",
    "encode_comment",
    "parse",
]

_BOM = b"\xef\xbb\xbf"
_EOL = re.compile(rb"\r\n|\r|\n")
_NEWLINES = ("\n", "\r\n", "\r")
_SPLIT_LINES = re.compile(r"\r\n|\r|\n")
_ASCII_DIGITS = frozenset("0123456789")
_SHOW_MAX = 60


@dataclass(frozen=True)
class Event:
    """One dispatched event.

    ``data`` is the data buffer without its final LF (several ``data:`` lines joined by ``"\\n"``);
    ``event`` is the last ``event:`` value of the block, ``None`` when it had none; ``id`` is the
    last-event-ID buffer at dispatch time (it persists across events, ``None`` until the stream
    sets one); ``retry`` is the block's last valid ``retry:`` value; ``line`` is the 1-based line
    of the block's first field line.

    >>> Event(data="hi", event=None).event_type
    'message'
    """

    data: str
    event: str | None = None
    id: str | None = None
    retry: int | None = None
    line: int = 0

    @property
    def event_type(self) -> str:
        """The type a browser dispatches: ``event`` or ``"message"`` when it is None or empty.

        >>> Event(data="{}", event="response.created").event_type
        'response.created'
        """
        return self.event or "message"


@dataclass(frozen=True)
class FramingIssue:
    """A framing problem at a 1-based line; ``message`` is one human-readable line.

    >>> str(FramingIssue(3, "unknown field 'foo' at line 3: ignored"))
    "line 3: unknown field 'foo' at line 3: ignored"
    """

    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass
class Parsed:
    """The result of :func:`parse`: dispatched events, framing issues, comment-line count."""

    events: list[Event] = field(default_factory=list)
    issues: list[FramingIssue] = field(default_factory=list)
    comments: int = 0


def _show(value: str) -> str:
    """``repr`` of a (possibly long) value for a one-line message."""
    if len(value) > _SHOW_MAX:
        return repr(value[:_SHOW_MAX]) + "..."
    return repr(value)


class Parser:
    """Incremental event-stream parser: feed chunks as they arrive, then :meth:`close`.

    Chunks may split a line, a CRLF pair or a UTF-8 multi-byte sequence anywhere; the events,
    issues and comment count are the same as for :func:`parse` of the whole stream.
    ``str`` chunks are encoded to UTF-8 (lone surrogates become invalid bytes, hence U+FFFD).

    After any call, ``issues`` holds the framing issues found so far, ``comments`` the number
    of comment lines, ``last_event_id`` the last-event-ID buffer (``None`` until an ``id`` field)
    and ``retry`` the reconnection time from the last valid ``retry`` field (``None`` if none).

    >>> p = Parser(); p.feed(b"data: a\\r"), p.feed(b"\\n\\r\\n"), p.close()
    ([], [Event(data='a', event=None, id=None, retry=None, line=1)], [])
    """

    issues: list[FramingIssue]
    comments: int
    last_event_id: str | None
    retry: int | None
    # The block being read: data lines, event type (and its line), retry, first field line.
    _data: list[str]
    _event: str | None
    _event_line: int
    _block_retry: int | None
    _block_line: int | None

    def __init__(self) -> None:
        self.issues = []
        self.comments = 0
        self.last_event_id = None
        self.retry = None
        self._buf = bytearray()
        self._bom_checked = False
        self._pending_cr = False
        self._closed = False
        self._bad_utf8_reported = False
        self._lineno = 1  # number of the line currently being read
        self._reset_block()

    def _reset_block(self) -> None:
        self._data = []
        self._event = None
        self._event_line = 0
        self._block_retry = None
        self._block_line = None

    def _issue(self, line: int, message: str) -> None:
        self.issues.append(FramingIssue(line, message))

    def feed(self, chunk: bytes | str) -> list[Event]:
        """Consume one chunk; return the events it completed (in stream order).

        >>> Parser().feed("event: done\\ndata: [DONE]\\n\\n")[0].data
        '[DONE]'
        """
        if self._closed:
            raise RuntimeError("Parser.feed() called after close()")
        data = chunk.encode("utf-8", "surrogatepass") if isinstance(chunk, str) else bytes(chunk)
        if not data:
            return []
        if self._pending_cr:
            # The previous chunk ended with CR: an LF starting this chunk completes that CRLF.
            self._pending_cr = False
            if data[0] == 0x0A:
                data = data[1:]
                if not data:
                    return []
        buf = self._buf
        scan_from = len(buf)
        buf.extend(data)
        if not self._bom_checked:
            if len(buf) < len(_BOM) and _BOM.startswith(buf):
                return []  # could still be a BOM: wait for more bytes
            self._bom_checked = True
            if buf.startswith(_BOM):
                del buf[: len(_BOM)]
            scan_from = 0
        events: list[Event] = []
        start = 0
        last_eol = b""
        for match in _EOL.finditer(buf, scan_from):
            self._line(bytes(buf[start : match.start()]), events)
            start = match.end()
            last_eol = match.group()
        if start:
            # A lone CR at the very end may be the first half of a CRLF split across chunks.
            self._pending_cr = last_eol == b"\r" and start == len(buf)
            del buf[:start]
        return events

    def close(self) -> list[Event]:
        """End of stream. Always returns ``[]``: the standard never dispatches at end of file.

        An unterminated final block (fields after the last blank line) is discarded and recorded
        as a :class:`FramingIssue`. Calling ``close()`` again does nothing.

        >>> p = Parser(); p.feed("data: x\\n"), p.close(), p.issues[0].line
        ([], [], 1)
        """
        if self._closed:
            return []
        self._closed = True
        if self._buf:
            # The standard discards an incomplete final line; read it anyway (never dispatching)
            # so the report can say what was lost.
            self._line(bytes(self._buf), None)
            self._buf.clear()
        if self._block_line is not None:
            where = self._block_line
            if self._data:
                message = f"last event (line {where}) not dispatched"
            else:
                message = f"block starting at line {where} (no data) discarded"
            self._issue(where, f"stream ended without a blank line: {message}")
        self._reset_block()
        return []

    def _line(self, raw: bytes, events: list[Event] | None) -> None:
        """Process one complete line (``events`` is None for the partial line read at close)."""
        lineno = self._lineno
        self._lineno += 1
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            if not self._bad_utf8_reported:
                self._bad_utf8_reported = True
                self._issue(
                    lineno,
                    f"invalid UTF-8 at line {lineno}, byte {exc.start + 1}: "
                    "decoded with U+FFFD replacement (first occurrence only)",
                )
            text = raw.decode("utf-8", "replace")
        if not text:
            if events is not None:
                self._dispatch(events)
            return
        if text[0] == ":":
            self.comments += 1
            return
        if self._block_line is None:
            self._block_line = lineno
        name, colon, value = text.partition(":")
        if colon and value[:1] == " ":
            value = value[1:]
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value
            self._event_line = lineno
        elif name == "id":
            if "\x00" in value:
                self._issue(lineno, f"id {_show(value)} at line {lineno} contains NULL: ignored")
            else:
                self.last_event_id = value
        elif name == "retry":
            if value and _ASCII_DIGITS.issuperset(value):
                self._block_retry = self.retry = int(value)
            else:
                self._issue(
                    lineno,
                    f"retry {_show(value)} at line {lineno} is not all ASCII digits: ignored",
                )
        else:
            self._issue(lineno, f"unknown field {_show(name)} at line {lineno}: ignored")

    def _dispatch(self, events: list[Event]) -> None:
        if self._data:
            events.append(
                Event(
                    data="\n".join(self._data),
                    event=self._event,
                    id=self.last_event_id,
                    retry=self._block_retry,
                    line=self._block_line or 0,
                )
            )
        elif self._event is not None:
            line = self._event_line
            self._issue(
                line, f"event {_show(self._event)} at line {line} has no data: not dispatched"
            )
        self._reset_block()


def parse(stream: str | bytes) -> Parsed:
    """Parse a whole event stream.

    >>> parse(b"data: {}\\n\\ndata: [DONE]\\n\\n").events[1].data
    '[DONE]'
    """
    parser = Parser()
    events = parser.feed(stream)
    events += parser.close()
    return Parsed(events=events, issues=parser.issues, comments=parser.comments)


def _check_newline(newline: str) -> None:
    if newline not in _NEWLINES:
        raise ValueError(f"newline must be one of '\\n', '\\r\\n', '\\r', not {newline!r}")


def encode(
    data: str,
    *,
    event: str | None = None,
    id: str | None = None,
    retry: int | None = None,
    newline: str = "\n",
) -> str:
    """Encode one event block: ``event``, ``id``, ``retry``, a ``data:`` line per line, blank line.

    ``data`` is split on CRLF, CR and LF (so those come back as ``"\\n"`` when parsed).
    ``newline`` ("\\n", "\\r\\n" or "\\r") is the line end used throughout. Raises ``ValueError``
    for an ``event``/``id`` containing CR or LF, an ``id`` containing NULL (a parser would ignore
    it), a negative ``retry`` or an unknown ``newline``.

    >>> encode('{"a": 1}', event="thread.run.created")
    'event: thread.run.created\\ndata: {"a": 1}\\n\\n'
    """
    _check_newline(newline)
    lines: list[str] = []
    if event is not None:
        if "\r" in event or "\n" in event:
            raise ValueError(f"event type must not contain CR or LF: {event!r}")
        lines.append(f"event: {event}")
    if id is not None:
        if "\r" in id or "\n" in id or "\x00" in id:
            raise ValueError(f"event id must not contain CR, LF or NULL: {id!r}")
        lines.append(f"id: {id}")
    if retry is not None:
        if isinstance(retry, bool) or not isinstance(retry, int) or retry < 0:
            raise ValueError(f"retry must be a non-negative int, not {retry!r}")
        lines.append(f"retry: {retry}")
    lines.extend(f"data: {line}" for line in _SPLIT_LINES.split(data))
    lines.append("")
    return newline.join(lines) + newline


def encode_comment(text: str = "", newline: str = "\n") -> str:
    """Encode a comment (e.g. a keep-alive); multi-line text becomes several comment lines.

    >>> encode_comment("keep-alive")
    ': keep-alive\\n'
    """
    _check_newline(newline)
    return "".join((f": {line}" if line else ":") + newline for line in _SPLIT_LINES.split(text))
