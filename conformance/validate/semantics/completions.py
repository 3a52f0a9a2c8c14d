"""Rules: legacy completions (``createCompletion``) beyond what they share with chat (``n``,
usage, logprobs and streams are in ``chat.py``, ``logprobs.py`` and ``chatstream.py``)."""

from __future__ import annotations

from collections.abc import Iterator

from .choices import LEGACY, Choice, answer_choices, fix_answer
from .common import is_int
from .exchange import Exchange
from .registry import Finding, rule


def _prompt_of(x: Exchange, c: Choice) -> str | None:
    """The prompt text a choice completes (``n`` choices a prompt, in order), when it is text."""
    prompt = x.asked("prompt")
    if isinstance(prompt, str):
        return str(prompt)
    n = x.asked("n", 1)
    index = c.data.get("index")
    if isinstance(prompt, list) and is_int(index) and is_int(n) and n >= 1:
        at = index // n
        if 0 <= at < len(prompt) and isinstance(prompt[at], str):
            return str(prompt[at])
    return None


def _unechoed(x: Exchange) -> Iterator[tuple[Choice, str]]:
    if x.asked("echo") is not True:
        return
    for c in answer_choices(x):
        prompt, text = _prompt_of(x, c), c.data.get("text")
        if prompt is not None and isinstance(text, str) and not text.startswith(prompt):
            yield c, prompt


@rule("rule.completion.echo", operations=(LEGACY,), request=True, stream=False)
def echo(x: Exchange) -> Iterator[Finding]:
    """With ``echo: true``, each choice's text starts with its prompt."""
    for c, prompt in _unechoed(x):
        yield Finding(
            "echo was asked but the text does not start with the prompt",
            f"{c.pointer}/text",
            c.event,
            prompt[:200],
            str(c.data.get("text"))[:200],
            param="echo",
        )


@echo.fixer
@fix_answer
def _fix_echo(x: Exchange) -> None:
    for c, prompt in list(_unechoed(x)):
        c.data["text"] = prompt + str(c.data.get("text") or "")
