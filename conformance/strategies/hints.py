"""OpenAI-shaped values for the ``typical`` profile, chosen by property name and context.

ids get the prefix of their object (``chatcmpl-``, ``resp_``, ``run_``…), timestamps fall in a
plausible range, ``model`` is a model name, free text is made of words. Every hint still respects
the schema (the compiler filters by length; enums and formats win over hints).
"""

from __future__ import annotations

from typing import Any

import hypothesis.strategies as st

__all__ = ["ID_PREFIXES", "hint_for"]

ID_PREFIXES = {
    "chat.completion": "chatcmpl-",
    "chat.completion.chunk": "chatcmpl-",
    "text_completion": "cmpl-",
    "response": "resp_",
    "thread.run": "run_",
    "thread.run.step": "step_",
    "thread": "thread_",
    "thread.message": "msg_",
    "thread.message.delta": "msg_",
    "assistant": "asst_",
    "file": "file-",
    "vector_store": "vs_",
    "vector_store.file": "file-",
    "vector_store.files_batch": "vsfb_",
    "batch": "batch_",
    "fine_tuning.job": "ftjob-",
    "fine_tuning.job.event": "ftevent-",
    "fine_tuning.job.checkpoint": "ftckpt_",
    "upload": "upload_",
    "upload.part": "part_",
    "realtime.session": "sess_",
    "organization.project": "proj_",
    "organization.user": "user-",
    "organization.invite": "invite-",
}
MODELS = ("gpt-4o", "gpt-4o-mini", "gpt-4.1", "gpt-4.1-mini", "o3-mini", "o1", "gpt-4o-2024-08-06")
WORDS = (
    "the",
    "quick",
    "model",
    "answer",
    "hello",
    "world",
    "token",
    "stream",
    "assistant",
    "user",
    "data",
    "result",
    "value",
    "Paris",
    "weather",
    "today",
    "is",
    "a",
    "of",
    "and",
)
_TOKEN = st.text(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=12, max_size=24
)
# what a model answers (text fields of a typical answer): sentences, not a word salad
SENTENCES = (
    "Hello! How can I help you today?",
    "The capital of France is Paris.",
    "Sure, here is a short summary.",
    "It will most likely rain later today, so take an umbrella.",
    "Here are three ideas you could try first.",
    "That depends on what you want to optimize for.",
    "Yes, that should work as long as the file is under 512 MB.",
    "The function returns a list of results sorted by score.",
    "I could not find anything about that in the documents you shared.",
    "Step 1: install the package. Step 2: run the command again.",
    "Photosynthesis turns light, water and carbon dioxide into sugar and oxygen.",
    "Let me know if you need anything else.",
)
_WORDS = st.lists(st.sampled_from(WORDS), min_size=1, max_size=8).map(" ".join)
_SENTENCES = st.lists(st.sampled_from(SENTENCES), min_size=1, max_size=2).map(" ".join)
_TIMESTAMP = st.integers(1_700_000_000, 1_760_000_000)
_TEXT_NAMES = {
    "content",
    "text",
    "delta",
    "instructions",
    "description",
    "message",
    "refusal",
    "transcript",
    "input",
    "prompt",
    "query",
}
_ID_NAMES = {
    "id",
    "item_id",
    "response_id",
    "run_id",
    "thread_id",
    "assistant_id",
    "message_id",
    "file_id",
    "batch_id",
    "step_id",
    "call_id",
    "tool_call_id",
    "vector_store_id",
}
_ID_FIELD_PREFIX = {
    "run_id": "run_",
    "thread_id": "thread_",
    "assistant_id": "asst_",
    "message_id": "msg_",
    "file_id": "file-",
    "batch_id": "batch_",
    "step_id": "step_",
    "call_id": "call_",
    "tool_call_id": "call_",
    "vector_store_id": "vs_",
    "response_id": "resp_",
    "item_id": "msg_",
}


def _object_kind(parent: dict[str, Any] | None) -> str | None:
    if not parent:
        return None
    obj = (parent.get("properties") or {}).get("object")
    if isinstance(obj, dict):
        values = obj.get("enum") or ([obj["const"]] if "const" in obj else [])
        if len(values) == 1 and isinstance(values[0], str):
            return values[0]
    return None


def hint_for(
    name: str | None, kind: str, schema: dict[str, Any], parent: dict[str, Any] | None = None
) -> st.SearchStrategy[Any] | None:
    """A realistic strategy for a property, or None to use the schema's own.

    >>> hint_for("created_at", "integer", {}) is not None
    True
    """
    if name is None:
        return None
    if kind == "integer":
        if name in (
            "created",
            "created_at",
            "expires_at",
            "completed_at",
            "started_at",
            "failed_at",
            "cancelled_at",
            "finished_at",
            "last_active_at",
            "in_progress_at",
            "finalizing_at",
            "expired_at",
            "cancelling_at",
            "estimated_finish",
            "modified_at",
            "added_at",
        ) or name.endswith("_at"):
            low, high = schema.get("minimum"), schema.get("maximum")
            if (low is None or low <= 1_700_000_000) and (high is None or high >= 1_760_000_000):
                return _TIMESTAMP
        if name.endswith("_tokens") or name == "bytes":
            return st.integers(max(0, int(schema.get("minimum", 0))), 4096)
        return None
    if kind != "string":
        return None
    if name == "model":
        return st.sampled_from(MODELS)
    if name == "id":
        prefix = ID_PREFIXES.get(_object_kind(parent) or "", "")
        if _object_kind(parent) == "model":
            return st.sampled_from(MODELS)
        return _TOKEN.map(lambda t: prefix + t)
    if name in _ID_NAMES:
        prefix = _ID_FIELD_PREFIX.get(name, "")
        return _TOKEN.map(lambda t: prefix + t)
    if name in _TEXT_NAMES:
        return _SENTENCES
    if name == "name":
        return _WORDS
    if name == "system_fingerprint":
        return _TOKEN.map(lambda t: "fp_" + t[:10])
    return None
