"""Call every method the OpenAI Python SDK has for the operations of OpenAI's spec 2.3.0.

Depends only on ``openai`` and the standard library, so it runs in any venv with any SDK from
1.6x on: ``python tests/mock/sdk_calls.py http://127.0.0.1:8000/v1`` prints one JSON line per
call and exits 1 when a call failed. ``--in-process SPEC`` (with ``conformance`` importable)
answers the calls with the mock through its respx router instead, and also prints each request
the mock found invalid. ``run_all(client)`` returns ``(operationId, outcome)``
pairs, where outcome is ``"ok"``, ``"skip: …"`` (the SDK has no method for the operation, or
its method calls a path the spec does not have) or ``"fail: …"``.

Calls run in a stateful order — create, then retrieve/update/list with the ids the mock gave
back, then delete — and each result must be the SDK's typed model (list pages: every item),
the expected bytes, or a stream whose events are all typed.
"""

from __future__ import annotations

import json
import struct
import sys
import warnings
import zlib
from collections.abc import Callable, Iterable
from typing import Any

import openai

__all__ = ["make_client", "run_all"]

Check = Callable[[Any], "str | None"]  # a problem with a result, None when it is fine


def _png() -> bytes:
    """A valid 1x1 RGBA PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00\xff"))
        + chunk(b"IEND", b"")
    )


def _wav() -> bytes:
    """A valid WAV file: 0.01 s of 16-bit mono silence."""
    samples = b"\x00\x00" * 160
    fmt = struct.pack("<HHIIHH", 1, 1, 16000, 32000, 2, 16)
    return (
        b"RIFF"
        + struct.pack("<I", 36 + len(samples))
        + b"WAVEfmt "
        + struct.pack("<I", 16)
        + fmt
        + b"data"
        + struct.pack("<I", len(samples))
        + samples
    )


PNG = _png()
WAV = _wav()
BATCH_JSONL = (
    json.dumps(
        {
            "custom_id": "r1",
            "method": "POST",
            "url": "/v1/chat/completions",
            "body": {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]},
        }
    ).encode()
    + b"\n"
)
TRAINING_JSONL = (
    json.dumps(
        {
            "messages": [
                {"role": "user", "content": "hi"},
                {"role": "assistant", "content": "hello"},
            ]
        }
    ).encode()
    + b"\n"
)
USER_MESSAGE = [{"role": "user", "content": "Say hello"}]
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "The weather in a city",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
            },
        },
    }
]


def _is_model(value: Any) -> bool:
    return isinstance(value, openai.BaseModel)


def typed(value: Any) -> str | None:
    """The SDK's model; for a list page, every item of ``.data`` too."""
    if not _is_model(value):
        return f"expected an openai model, got {type(value).__name__}"
    items = getattr(value, "data", None)
    if type(value).__module__ == "openai.pagination" or type(value).__name__.endswith("Page"):
        if not isinstance(items, list):
            return f"page {type(value).__name__} has no data list"
        bad = [type(x).__name__ for x in items if not _is_model(x)]
        if bad:
            return f"page items are not models: {bad[:3]}"
    return None


def _events(stream: Iterable[Any]) -> list[Any]:
    events = list(stream)
    if not events:
        raise AssertionError("the stream had no events")
    bad = [type(e).__name__ for e in events if not _is_model(e)]
    if bad:
        raise AssertionError(f"stream events are not models: {bad[:3]}")
    return events


def _id(obj: Any, default: str) -> str:
    value = getattr(obj, "id", None)
    return value if isinstance(value, str) and value else default


def _first_id(page: Any, default: str) -> str:
    items = getattr(page, "data", None) or []
    return _id(items[0], default) if items else default


class Calls:
    """Runs SDK calls, each labelled with the operationId it should reach, and records outcomes."""

    def __init__(self, client: Any, log: Callable[[dict[str, Any]], None] | None = None) -> None:
        self.client = client
        self.results: list[tuple[str, str]] = []
        self.log = log

    def method(self, *paths: str) -> Any:
        """The first of ``paths`` (``"beta.threads.create"``) the client has, else None."""
        for path in paths:
            obj: Any = self.client
            for name in path.split("."):
                obj = getattr(obj, name, None)
                if obj is None:
                    break
            if obj is not None and callable(obj):
                return obj
        return None

    def record(self, operation: str, outcome: str, call: str) -> None:
        self.results.append((operation, outcome))
        if self.log is not None:
            self.log({"operation": operation, "call": call, "outcome": outcome})

    def __call__(
        self,
        operation: str,
        paths: str | tuple[str, ...],
        *args: Any,
        check: Check = typed,
        expect: type[BaseException] | None = None,
        **kwargs: Any,
    ) -> Any:
        """Call the SDK method at the first existing path; the result, or None when it failed."""
        paths = (paths,) if isinstance(paths, str) else paths
        method = self.method(*paths)
        call = paths[0]
        if method is None:
            self.record(operation, "skip: no SDK method", call)
            return None
        if "stream" in kwargs:
            call += f"(stream={kwargs['stream']})"
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                result = method(*args, **kwargs)
                problem = check(result)
        except Exception as exc:
            if expect is not None and isinstance(exc, expect):
                self.record(operation, "ok", call + f" -> {type(exc).__name__}")
                return exc
            if isinstance(exc, openai.NotFoundError) and "Invalid URL" in str(exc):
                self.record(operation, f"skip: SDK path not in spec ({exc})", call)
                return None
            cause = f" ({exc.__cause__})" if exc.__cause__ is not None else ""
            self.record(operation, f"fail: {type(exc).__name__}: {exc}{cause}"[:2000], call)
            return None
        if expect is not None:
            problem = f"expected {expect.__name__}, got {type(result).__name__}"
        if problem:
            self.record(operation, f"fail: {problem}", call)
            return None
        self.record(operation, "ok", call)
        return result


# -- checks beyond "it is a model" -------------------------------------------------------------


def _n_choices(n: int) -> Check:
    def check(value: Any) -> str | None:
        return typed(value) or (
            None if len(value.choices) == n else f"asked n={n}, got {len(value.choices)} choices"
        )

    return check


def _chat_stream(usage: bool) -> Check:
    def check(stream: Any) -> str | None:
        chunks = _events(stream)
        last = chunks[-1]
        if usage and last.usage is None:
            return "stream_options.include_usage: the last chunk has no usage"
        finished = any(c.finish_reason for ch in chunks for c in ch.choices)
        if not finished and last.usage is None:
            return "no chunk has a finish_reason and the last has no usage"
        return None

    return check


def _stream_of(*final_types: str) -> Check:
    def check(stream: Any) -> str | None:
        events = _events(stream)
        kinds = [getattr(e, "event", None) or getattr(e, "type", None) for e in events]
        if final_types and not any(k in final_types for k in kinds):
            return f"no {' or '.join(final_types)} event among {kinds[-5:]}"
        return None

    return check


def _bytes_equal(expected: bytes) -> Check:
    def check(value: Any) -> str | None:
        data = value.read() if hasattr(value, "read") else value.content
        if not isinstance(data, bytes):
            return f"expected bytes, got {type(data).__name__}"
        return None if data == expected else f"content {data[:40]!r} != uploaded {expected[:40]!r}"

    return check


def _binary(value: Any) -> str | None:
    data = value.read() if hasattr(value, "read") else getattr(value, "content", None)
    if not isinstance(data, bytes) or not data:
        return f"expected non-empty bytes, got {type(data).__name__}"
    return None


def _none(value: Any) -> str | None:
    return None if value is None else f"expected None, got {type(value).__name__}"


def _text(value: Any) -> str | None:
    return None if isinstance(value, str) else f"expected str, got {type(value).__name__}"


# -- the calls, by area -------------------------------------------------------------------------


def _models(c: Calls) -> None:
    page = c("listModels", "models.list")
    model = _first_id(page, "gpt-4o-mini")
    c("retrieveModel", "models.retrieve", model)
    c("deleteModel", "models.delete", "ft:gpt-4o-mini:acme:suffix:abc123")


def _chat(c: Calls) -> None:
    chat = "chat.completions.create"
    base = {"model": "gpt-4o-mini", "messages": USER_MESSAGE}
    c("createChatCompletion", chat, **base)
    c("createChatCompletion", chat, **base, n=2, check=_n_choices(2))
    c("createChatCompletion", chat, **base, tools=TOOLS, tool_choice="auto")
    c("createChatCompletion", chat, **base, stream=True, check=_chat_stream(usage=False))
    c(
        "createChatCompletion",
        chat,
        **base,
        stream=True,
        stream_options={"include_usage": True},
        check=_chat_stream(usage=True),
    )
    stored = c("createChatCompletion", chat, **base, store=True, metadata={"case": "sdk"})
    cid = _id(stored, "chatcmpl-missing")
    c("getChatCompletion", "chat.completions.retrieve", cid)
    c("updateChatCompletion", "chat.completions.update", cid, metadata={"case": "updated"})
    c("listChatCompletions", "chat.completions.list", limit=5)
    c("getChatCompletionMessages", "chat.completions.messages.list", cid)
    c("deleteChatCompletion", "chat.completions.delete", cid)


def _simple(c: Calls) -> None:
    c("createCompletion", "completions.create", model="gpt-3.5-turbo-instruct", prompt="Say hi")
    c(
        "createCompletion",
        "completions.create",
        model="gpt-3.5-turbo-instruct",
        prompt="Say hi",
        stream=True,
        check=lambda s: _events(s) and None,
    )
    c("createEmbedding", "embeddings.create", model="text-embedding-3-small", input="hello")
    c("createModeration", "moderations.create", input="hello")


def _images_audio(c: Calls) -> None:
    c("createImage", "images.generate", prompt="a red square", model="dall-e-2", n=1)
    c("createImageEdit", "images.edit", image=("square.png", PNG, "image/png"), prompt="bluer")
    c("createImageVariation", "images.create_variation", image=("square.png", PNG, "image/png"))
    c(
        "createSpeech",
        "audio.speech.create",
        model="tts-1",
        voice="alloy",
        input="Hello",
        check=_binary,
    )
    audio = ("hello.wav", WAV, "audio/wav")
    c("createTranscription", "audio.transcriptions.create", file=audio, model="whisper-1")
    c("createTranslation", "audio.translations.create", file=audio, model="whisper-1")


def _files(c: Calls, data: bytes, purpose: str, name: str) -> str:
    made = c("createFile", "files.create", file=(name, data, "application/jsonl"), purpose=purpose)
    return _id(made, "file-missing")


def _files_lifecycle(c: Calls, data: bytes) -> None:
    fid = _files(c, data, "assistants", "notes.jsonl")
    c("retrieveFile", "files.retrieve", fid)
    c("listFiles", "files.list")
    c("downloadFile", "files.content", fid, check=_bytes_equal(data))
    if c.method("files.retrieve_content") is not None:
        c("downloadFile", "files.retrieve_content", fid, check=_text)
    c("deleteFile", "files.delete", fid)
    c("retrieveFile", "files.retrieve", fid, expect=openai.NotFoundError)


def _uploads(c: Calls) -> None:
    data = TRAINING_JSONL
    made = c(
        "createUpload",
        "uploads.create",
        bytes=len(data),
        filename="train.jsonl",
        mime_type="text/jsonl",
        purpose="fine-tune",
    )
    uid = _id(made, "upload-missing")
    part = c("addUploadPart", "uploads.parts.create", uid, data=data)
    c("completeUpload", "uploads.complete", uid, part_ids=[_id(part, "part-missing")])
    other = c(
        "createUpload",
        "uploads.create",
        bytes=len(data),
        filename="other.jsonl",
        mime_type="text/jsonl",
        purpose="fine-tune",
    )
    c("cancelUpload", "uploads.cancel", _id(other, "upload-missing"))


def _batches(c: Calls, fid: str) -> None:
    made = c(
        "createBatch",
        "batches.create",
        input_file_id=fid,
        endpoint="/v1/chat/completions",
        completion_window="24h",
    )
    bid = _id(made, "batch-missing")
    c("retrieveBatch", "batches.retrieve", bid)
    c("listBatches", "batches.list", limit=5)
    c("cancelBatch", "batches.cancel", bid)


def _fine_tuning(c: Calls, fid: str) -> None:
    made = c(
        "createFineTuningJob",
        "fine_tuning.jobs.create",
        model="gpt-4o-mini-2024-07-18",
        training_file=fid,
    )
    jid = _id(made, "ftjob-missing")
    c("retrieveFineTuningJob", "fine_tuning.jobs.retrieve", jid)
    c("listPaginatedFineTuningJobs", "fine_tuning.jobs.list", limit=5)
    c("listFineTuningEvents", "fine_tuning.jobs.list_events", jid)
    page = c("listFineTuningJobCheckpoints", "fine_tuning.jobs.checkpoints.list", jid)
    items = getattr(page, "data", None) or []
    checkpoint = getattr(items[0], "fine_tuned_model_checkpoint", None) if items else None
    checkpoint = checkpoint or "ft:gpt-4o-mini-2024-07-18:acme::ckpt-step-10"
    perms = "fine_tuning.checkpoints.permissions"
    made_perm = c(
        "createFineTuningCheckpointPermission",
        f"{perms}.create",
        checkpoint,
        project_ids=["proj_abc"],
    )
    c("listFineTuningCheckpointPermissions", (f"{perms}.list", f"{perms}.retrieve"), checkpoint)
    delete = c.method(f"{perms}.delete")
    perm_id = _first_id(made_perm, "cp_missing")
    if delete is not None and "permission_id" in _parameters(delete):
        # newer SDKs: DELETE /fine_tuning/checkpoints/{checkpoint}/permissions/{permission_id}
        c(
            "deleteFineTuningCheckpointPermission",
            f"{perms}.delete",
            perm_id,
            fine_tuned_model_checkpoint=checkpoint,
        )
    else:  # the spec's DELETE /fine_tuning/checkpoints/{permission_id}/permissions
        c("deleteFineTuningCheckpointPermission", f"{perms}.delete", checkpoint)
    c("cancelFineTuningJob", "fine_tuning.jobs.cancel", jid)


def _parameters(method: Any) -> list[str]:
    import inspect

    try:
        return list(inspect.signature(method).parameters)
    except (TypeError, ValueError):
        return []


def _vector_stores(c: Calls, fid: str) -> None:
    vs = "vector_stores" if c.method("vector_stores.create") else "beta.vector_stores"
    made = c("createVectorStore", f"{vs}.create", name="docs", file_ids=[fid])
    vid = _id(made, "vs_missing")
    c("getVectorStore", f"{vs}.retrieve", vid)
    c("modifyVectorStore", f"{vs}.update", vid, name="docs v2")
    c("listVectorStores", f"{vs}.list", limit=5)
    c("searchVectorStore", f"{vs}.search", vid, query="hello")
    c("createVectorStoreFile", f"{vs}.files.create", vid, file_id=fid)
    c("getVectorStoreFile", f"{vs}.files.retrieve", fid, vector_store_id=vid)
    c(
        "updateVectorStoreFileAttributes",
        f"{vs}.files.update",
        fid,
        vector_store_id=vid,
        attributes={"topic": "greeting"},
    )
    c("listVectorStoreFiles", f"{vs}.files.list", vid)
    c("retrieveVectorStoreFileContent", f"{vs}.files.content", fid, vector_store_id=vid)
    batch = c("createVectorStoreFileBatch", f"{vs}.file_batches.create", vid, file_ids=[fid])
    bid = _id(batch, "vsfb_missing")
    c("getVectorStoreFileBatch", f"{vs}.file_batches.retrieve", bid, vector_store_id=vid)
    c("listFilesInVectorStoreBatch", f"{vs}.file_batches.list_files", bid, vector_store_id=vid)
    c("cancelVectorStoreFileBatch", f"{vs}.file_batches.cancel", bid, vector_store_id=vid)
    c("deleteVectorStoreFile", f"{vs}.files.delete", fid, vector_store_id=vid)
    c("deleteVectorStore", f"{vs}.delete", vid)


def _assistants(c: Calls) -> None:
    made = c(
        "createAssistant",
        "beta.assistants.create",
        model="gpt-4o",
        name="helper",
        instructions="Be brief.",
        tools=TOOLS,
    )
    aid = _id(made, "asst_missing")
    c("getAssistant", "beta.assistants.retrieve", aid)
    c("modifyAssistant", "beta.assistants.update", aid, name="helper v2")
    c("listAssistants", "beta.assistants.list", limit=5)

    thread = c("createThread", "beta.threads.create", messages=USER_MESSAGE)
    tid = _id(thread, "thread_missing")
    c("getThread", "beta.threads.retrieve", tid)
    c("modifyThread", "beta.threads.update", tid, metadata={"case": "sdk"})
    msg = c("createMessage", "beta.threads.messages.create", tid, role="user", content="What's up?")
    mid = _id(msg, "msg_missing")
    c("getMessage", "beta.threads.messages.retrieve", mid, thread_id=tid)
    c("modifyMessage", "beta.threads.messages.update", mid, thread_id=tid, metadata={"k": "v"})
    c("listMessages", "beta.threads.messages.list", tid)

    run = c("createRun", "beta.threads.runs.create", tid, assistant_id=aid)
    rid = _id(run, "run_missing")
    c("getRun", "beta.threads.runs.retrieve", rid, thread_id=tid)
    c("modifyRun", "beta.threads.runs.update", rid, thread_id=tid, metadata={"k": "v"})
    c("listRuns", "beta.threads.runs.list", tid)
    steps = c("listRunSteps", "beta.threads.runs.steps.list", rid, thread_id=tid)
    sid = _first_id(steps, "step_missing")
    c("getRunStep", "beta.threads.runs.steps.retrieve", sid, thread_id=tid, run_id=rid)
    c(
        "submitToolOuputsToRun",
        "beta.threads.runs.submit_tool_outputs",
        rid,
        thread_id=tid,
        tool_outputs=[{"tool_call_id": "call_abc", "output": "sunny"}],
    )
    c("cancelRun", "beta.threads.runs.cancel", rid, thread_id=tid)
    c(
        "createRun",
        "beta.threads.runs.create",
        tid,
        assistant_id=aid,
        stream=True,
        check=_stream_of(),
    )
    c(
        "createThreadAndRun",
        "beta.threads.create_and_run",
        assistant_id=aid,
        thread={"messages": USER_MESSAGE},
    )
    c(
        "createThreadAndRun",
        "beta.threads.create_and_run",
        assistant_id=aid,
        thread={"messages": USER_MESSAGE},
        stream=True,
        check=_stream_of(),
    )
    c("deleteMessage", "beta.threads.messages.delete", mid, thread_id=tid)
    c("deleteThread", "beta.threads.delete", tid)
    c("deleteAssistant", "beta.assistants.delete", aid)


def _responses(c: Calls) -> None:
    made = c("createResponse", "responses.create", model="gpt-4o", input="Say hello")
    rid = _id(made, "resp_missing")
    c(
        "createResponse",
        "responses.create",
        model="gpt-4o",
        input="Say hello",
        stream=True,
        check=_stream_of(),
    )
    c("getResponse", "responses.retrieve", rid)
    c("listInputItems", "responses.input_items.list", rid)
    c("deleteResponse", "responses.delete", rid, check=_none)  # 200, no body


def _realtime(c: Calls) -> None:
    c("create-realtime-session", "beta.realtime.sessions.create", model="gpt-4o-realtime-preview")
    c("create-realtime-transcription-session", "beta.realtime.transcription_sessions.create")


def _admin(c: Calls) -> None:
    org = "admin.organization"
    key = c("admin-api-keys-create", f"{org}.admin_api_keys.create", name="ci key")
    kid = _id(key, "key_missing")
    c("admin-api-keys-get", f"{org}.admin_api_keys.retrieve", kid)
    c("admin-api-keys-list", f"{org}.admin_api_keys.list", limit=5)
    c("admin-api-keys-delete", f"{org}.admin_api_keys.delete", kid)
    c("list-audit-logs", f"{org}.audit_logs.list", limit=5)
    start = 1730419200
    c("usage-costs", f"{org}.usage.costs", start_time=start)
    for area in (
        "audio_speeches",
        "audio_transcriptions",
        "code_interpreter_sessions",
        "completions",
        "embeddings",
        "images",
        "moderations",
        "vector_stores",
    ):
        c(f"usage-{area.replace('_', '-')}", f"{org}.usage.{area}", start_time=start)

    invite = c("inviteUser", f"{org}.invites.create", email="ada@example.com", role="reader")
    iid = _id(invite, "invite-missing")
    c("retrieve-invite", f"{org}.invites.retrieve", iid)
    c("list-invites", f"{org}.invites.list", limit=5)
    c("delete-invite", f"{org}.invites.delete", iid)

    users = c("list-users", f"{org}.users.list", limit=5)
    uid = _first_id(users, "user_missing")
    c("retrieve-user", f"{org}.users.retrieve", uid)
    c("modify-user", f"{org}.users.update", uid, role="reader")

    project = c("create-project", f"{org}.projects.create", name="ci project")
    pid = _id(project, "proj_missing")
    c("retrieve-project", f"{org}.projects.retrieve", pid)
    c("modify-project", f"{org}.projects.update", pid, name="ci project v2")
    c("list-projects", f"{org}.projects.list", limit=5)

    keys = c("list-project-api-keys", f"{org}.projects.api_keys.list", pid, limit=5)
    pkid = _first_id(keys, "key_missing")
    c("retrieve-project-api-key", f"{org}.projects.api_keys.retrieve", pkid, project_id=pid)
    c("delete-project-api-key", f"{org}.projects.api_keys.delete", pkid, project_id=pid)

    limits = c("list-project-rate-limits", f"{org}.projects.rate_limits.list_rate_limits", pid)
    lid = _first_id(limits, "rl-missing")
    c(
        "update-project-rate-limits",
        f"{org}.projects.rate_limits.update_rate_limit",
        lid,
        project_id=pid,
        max_requests_per_1_minute=10,
    )

    sa = "projects.service_accounts"
    account = c("create-project-service-account", f"{org}.{sa}.create", pid, name="bot")
    said = _id(account, "svc_acct_missing")
    c("retrieve-project-service-account", f"{org}.{sa}.retrieve", said, project_id=pid)
    c("list-project-service-accounts", f"{org}.{sa}.list", pid, limit=5)
    c("delete-project-service-account", f"{org}.{sa}.delete", said, project_id=pid)

    pu = "projects.users"
    member = c("create-project-user", f"{org}.{pu}.create", pid, user_id=uid, role="member")
    puid = _id(member, uid)
    c("retrieve-project-user", f"{org}.{pu}.retrieve", puid, project_id=pid)
    c("modify-project-user", f"{org}.{pu}.update", puid, project_id=pid, role="owner")
    c("list-project-users", f"{org}.{pu}.list", pid, limit=5)
    c("delete-project-user", f"{org}.{pu}.delete", puid, project_id=pid)

    c("archive-project", f"{org}.projects.archive", pid)
    c("delete-user", f"{org}.users.delete", uid)


def run_all(
    client: Any, log: Callable[[dict[str, Any]], None] | None = None
) -> list[tuple[str, str]]:
    """Call every SDK method for a 2.3.0 operation; ``(operationId, outcome)`` per call."""
    c = Calls(client, log)
    areas: list[tuple[str, Callable[[], None]]] = [
        ("models", lambda: _models(c)),
        ("chat", lambda: _chat(c)),
        ("completions, embeddings, moderations", lambda: _simple(c)),
        ("images, audio", lambda: _images_audio(c)),
        ("files", lambda: _files_lifecycle(c, TRAINING_JSONL)),
        ("uploads", lambda: _uploads(c)),
        ("responses", lambda: _responses(c)),
        ("realtime", lambda: _realtime(c)),
        ("assistants", lambda: _assistants(c)),
        ("admin", lambda: _admin(c)),
    ]
    for name, area in areas:
        _guard(c, name, area)

    def with_files() -> None:
        batch_file = _files(c, BATCH_JSONL, "batch", "batch.jsonl")
        train_file = _files(c, TRAINING_JSONL, "fine-tune", "train.jsonl")
        doc_file = _files(c, b"Hello, world.\n", "assistants", "hello.txt")
        _guard(c, "batches", lambda: _batches(c, batch_file))
        _guard(c, "fine_tuning", lambda: _fine_tuning(c, train_file))
        _guard(c, "vector_stores", lambda: _vector_stores(c, doc_file))
        for fid in (batch_file, train_file, doc_file):
            c("deleteFile", "files.delete", fid)

    _guard(c, "files for batches, fine-tuning, vector stores", with_files)
    return c.results


def _guard(c: Calls, name: str, area: Callable[[], None]) -> None:
    """A bug in this script's glue is recorded as a failure of the area, not a crash."""
    try:
        area()
    except Exception as exc:
        c.record(f"<{name}>", f"fail: script error {type(exc).__name__}: {exc}", name)


def make_client(
    base_url: str, http_client: Any = None, strict: bool = False, **options: Any
) -> openai.OpenAI:
    """An SDK client for the mock: fixed keys, no retries, optional admin key when supported."""
    import inspect

    kwargs: dict[str, Any] = {
        "base_url": base_url,
        "api_key": "sk-test",
        "max_retries": 0,
        "_strict_response_validation": strict,
        **options,
    }
    if "admin_api_key" in inspect.signature(openai.OpenAI.__init__).parameters:
        kwargs.setdefault("admin_api_key", "sk-admin-test")
    if http_client is not None:
        kwargs["http_client"] = http_client
    return openai.OpenAI(**kwargs)


def _in_process(spec_path: str, strict: bool, log: Callable[[dict[str, Any]], None]) -> list[Any]:
    """Run every call through ``conformance.mock.mock_router`` in this process; log each
    request the mock found invalid as ``{"invalid": ...}``."""
    from conformance.mock import Mock
    from conformance.mock.transport import mock_router
    from conformance.spec import load_spec

    mock = Mock(load_spec(spec_path), profile="typical", seed=0)
    with mock_router(mock):
        results = run_all(make_client("https://api.openai.com/v1", strict=strict), log=log)
    for record in mock.records:
        if not record.valid:
            where = f"{record.method} {record.path} ({record.operation})"
            problems = [f"{v.pointer} [{v.code}] {v.message}" for v in record.violations]
            log({"invalid": where, "violations": problems})
    return results


def main(argv: list[str]) -> int:
    args = [a for a in argv if not a.startswith("--")]
    if len(args) != 1:
        print("usage: sdk_calls.py (BASE_URL | --in-process SPEC) [--strict]", file=sys.stderr)
        return 2

    def log(line: dict[str, Any]) -> None:
        print(json.dumps(line), flush=True)

    strict = "--strict" in argv
    if "--in-process" in argv:
        results = _in_process(args[0], strict, log)
    else:
        results = run_all(make_client(args[0], strict=strict), log=log)
    failed = [r for r in results if r[1].startswith("fail")]
    print(
        json.dumps(
            {
                "sdk": openai.__version__,
                "calls": len(results),
                "operations_ok": len({op for op, out in results if out == "ok"}),
                "failed": len(failed),
            }
        )
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
