"""The table of verdict codes: every ``Violation.code`` the toolkit can give, and what it means.

A code is a verdict's stable identity, as schemathesis' failure codes are: once published it is
never renamed, renumbered or given another meaning (a retired code stays here, marked so).
Reports, diffs, the mock and user code match on codes, never on message text. The README's
codes table is this dict, printed (``tests/validate/test_codes.py`` keeps them equal).

>>> CODES["stream.done-missing"]
'a stream that should end with a sentinel (data: [DONE]) ended without it'
"""

from __future__ import annotations

__all__ = ["CODES", "SCHEMA_KEYWORDS", "code_for_keyword"]

# JSON Schema 2020-12 keywords a validator can fail on (and ``discriminator``, ``falseSchema``:
# the OpenAPI tag and the ``false`` schema); a failure of keyword K has the code ``schema.K``.
SCHEMA_KEYWORDS: tuple[str, ...] = (
    "type",
    "enum",
    "const",
    "required",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "minLength",
    "maxLength",
    "pattern",
    "format",
    "minItems",
    "maxItems",
    "uniqueItems",
    "contains",
    "minContains",
    "maxContains",
    "minProperties",
    "maxProperties",
    "additionalProperties",
    "additionalItems",
    "unevaluatedProperties",
    "unevaluatedItems",
    "propertyNames",
    "dependentRequired",
    "dependentSchemas",
    "oneOf",
    "anyOf",
    "allOf",
    "not",
    "if",
    "contentEncoding",
    "contentMediaType",
    "discriminator",
    "falseSchema",
)

_SCHEMA_TEXT = {
    "type": "a value has a JSON type the schema does not allow",
    "enum": "a value is not one of the schema's enum values",
    "const": "a value differs from the schema's const",
    "required": "an object lacks a property the schema requires",
    "oneOf": "a value matches none (or more than one) of a oneOf's branches",
    "anyOf": "a value matches none of an anyOf's branches",
    "discriminator": "a tagged union's tag names no branch (OpenAPI discriminator)",
    "falseSchema": "a value where the schema allows none",
    "format": "a string does not have the schema's format",
    "pattern": "a string does not match the schema's pattern",
}

CODES: dict[str, str] = {
    **{
        f"schema.{k}": _SCHEMA_TEXT.get(k, f"the JSON Schema keyword {k!r} failed")
        for k in SCHEMA_KEYWORDS
    },
    # undeclared parts (warnings, errors in strict mode)
    "undeclared.property": "a property no schema that applies declares (warning unless strict)",
    "undeclared.query": "a query parameter the operation does not declare (warning unless strict)",
    # requests
    "request.route": "no operation matches the method and path (or the path does not fit it)",
    "request.parameter-missing": "a required path, query, header or cookie parameter is missing",
    "request.body-missing": "the operation requires a request body and none was sent",
    "request.content-type": "the request's Content-Type is missing or not one the operation accepts",
    "request.decode": "the request body (or a parameter) does not decode as its Content-Type (or style) says: bad JSON or form, NaN/Infinity/1e400, past the depth or number-size limit",
    # responses
    "response.status": "the status is not documented for the operation",
    "response.header-missing": "a required response header is missing",
    "response.content-type": "the response's Content-Type is missing or not declared",
    "response.body-unexpected": "a body was sent where the status declares none",
    "response.body-missing": "a body was declared for the status but none was sent",
    "response.decode": "the response body (or a header) does not decode as its Content-Type says: bad JSON, NaN/Infinity/1e400, past the depth or number-size limit",
    # streams
    "stream.unsupported": "a stream for an operation (or status) that declares none",
    "stream.framing": "the text/event-stream framing is broken (a field, a line ending, an encoding)",
    "stream.empty": "a stream with no event",
    "stream.json": "an event's data is not JSON where the stream sends JSON (or NaN/Infinity, past the depth or number-size limit)",
    "stream.event-name": "an event's name is missing, or differs from its data's type",
    "stream.done-missing": "a stream that should end with a sentinel (data: [DONE]) ended without it",
    "stream.after-done": "an event after the end sentinel",
}


def code_for_keyword(keyword: str) -> str:
    """The code of a failed JSON Schema keyword.

    >>> code_for_keyword("required")
    'schema.required'
    """
    return f"schema.{keyword}"


# semantic rules (conformance.validate.semantics): OpenAI behaviour JSON Schema cannot say
CODES.update(
    {
        "rule.usage.total": "usage total_tokens is the sum of its parts (prompt + completion, input + output; prompt alone for embeddings)",
        "rule.usage.prompt": "prompt_tokens/input_tokens plausibly cover the request's text: at least 1 token per 8 characters (whitespace runs as one) and 3 per message; at most its UTF-8 bytes and some framing when it sends text only (warning)",
        "rule.usage.cached": "cached_tokens is 0 on a prompt under 1,024 tokens, else 0 or a multiple of 128 from 1,024 (OpenAI caches prompt prefixes of 1,024 tokens and more, in 128-token steps; warning)",
        "rule.usage.reasoning": "reasoning_tokens is 0 on a model that does not reason (gpt-3.5, gpt-4, gpt-4o, gpt-4.1…) and leaves output tokens for an answer that has text or calls (warning)",
        "rule.tool.arguments-json": "function/tool call arguments are JSON text",
        # what clients send that the API rejects though the schema allows it (semantics/requests.py)
        "rule.request.strict-schema": "a schema sent with strict: true must close every object (additionalProperties: false) and require every property",
        "rule.request.stream-options": "stream_options is only allowed with stream: true",
        "rule.request.tool-choice": "tool_choice is only allowed with tools, and a forced choice names one of them (function_call likewise names one of functions)",
        "rule.request.top-logprobs": "top_logprobs is only allowed with logprobs: true",
        "rule.request.json-mode-word": "response_format json_object needs the word 'json' in the messages",
        "rule.request.dimensions": "embeddings dimensions within what the models have (at most 3072)",
        "rule.request.completion-choices": "a legacy completion asks for at most 2048 choices, prompts x n (the mock's cap: the API documents none for a list of prompts)",
        # chat completions and legacy completions (semantics/chat.py)
        "rule.chat.n-choices": "n choices (n x the prompts of a legacy completion), indexed 0..n-1 — in a JSON answer or across a stream's chunks",
        "rule.chat.finish-tool-calls": "finish_reason tool_calls (function_call) exactly when the message calls tools (a function); stop for a call forced by name",
        "rule.chat.finish-length": "finish_reason length only when the request set max_tokens or max_completion_tokens",
        "rule.chat.content-null": "an assistant message has text content unless it calls tools, refuses or answers in audio (warning)",
        "rule.chat.refusal": "a message with a refusal has content null",
        "rule.chat.refusal-unasked": "a refusal answers structured output (response_format json_schema), as every real refusal does (warning)",
        "rule.chat.content-filter": "finish_reason content_filter: the answer was cut by the content filter, never seen on real answers to ordinary prompts (warning)",
        "rule.chat.audio-unasked": "a message carries audio only when modalities asked for audio",
        "rule.chat.usage-missing": "a non-streamed chat or legacy completion carries usage (the API always sends it; warning)",
        "rule.chat.usage-details": "token details fit their totals (reasoning, audio, text <= completion_tokens; cached, audio, text, image <= prompt_tokens)",
        "rule.chat.max-tokens": "completion_tokens is at most max_tokens/max_completion_tokens (legacy: default 16) times the completions generated",
        "rule.chat.tools-unasked": "no tool_calls unless tools were sent, no function_call unless functions were sent",
        "rule.chat.tool-unknown": "a tool call names a tool (a function call a function) the request declared",
        "rule.chat.tool-choice": "a forced tool_choice is obeyed: a named function is called, required calls some tool, none calls none (likewise function_call)",
        "rule.chat.tool-arguments-schema": "the arguments of a call to a strict function validate against its declared parameters",
        "rule.chat.response-format": "response_format json_object: the content is JSON; json_schema with strict: the content validates against the schema",
        "rule.chat.logprobs-unasked": "a choice carries logprobs only when the request asked for them",
        "rule.chat.logprobs-missing": "logprobs asked for: each choice's logprobs score its text",
        "rule.chat.top-logprobs": "a token lists at most top_logprobs alternatives (legacy: logprobs + 1)",
        "rule.chat.logprob-range": "log probabilities are at most 0 and token bytes are in 0..255",
        "rule.chat.stream-usage": "include_usage: exactly one usage chunk, the last, with empty choices (usage null or absent elsewhere); else no usage field",
        "rule.chat.stream-finish": "each choice of a chat or legacy completion stream gets exactly one finish_reason, in its last chunk",
        "rule.chat.stream-arguments": "streamed tool-call argument pieces add up to JSON",
        "rule.completion.echo": "legacy completion with echo: each choice's text starts with its prompt",
        "rule.stream.mode": "stream: true is answered by an event stream, stream false or absent by a plain answer",
        # embeddings (semantics/embeddings.py)
        "rule.embeddings.count": "one embedding per input: a string or a list of token ids is one input, a list of strings or of token-id lists one per item",
        "rule.embeddings.index": "embedding indexes are 0..n-1, in order",
        "rule.embeddings.dimensions": "each embedding has the asked `dimensions`",
        "rule.embeddings.length": "every embedding of an answer has the same length",
        "rule.embeddings.values": "embedding values are finite and within [-1, 1], at least one, not all zero",
        "rule.embeddings.norm": "embeddings are normalized to length 1, as OpenAI documents (warning)",
        "rule.embeddings.distinct": "different inputs get different vectors (warning: equal ones make every similarity 1)",
        "rule.embeddings.encoding": "`encoding_format: base64` answers base64 strings of little-endian float32, `float` or none answers arrays; a string embedding is always base64 of whole float32",
        # lists, timestamps, model echo (semantics/lists.py, timestamps.py, echo.py)
        "rule.list.ids": "a list's first_id/last_id are the ids of its first/last item (null on an empty page)",
        "rule.list.empty-has-more": "an empty page says has_more: false",
        "rule.list.short-page": "has_more is true only on a full page: as many items as the asked limit, else the operation's default (warning)",
        "rule.list.limit": "a page holds at most the asked `limit` items",
        "rule.list.order": "a page follows the asked `order` (asc/desc) by created_at",
        "rule.list.cursor": "the item named by the `after`/`before` cursor is not in the page",
        "rule.time.plausible": "created/*_at timestamps are unix seconds after 2015, not later than when the answer came (expires_at aside) (warning)",
        "rule.time.fresh": "what a request creates (a completion, a response, a run…) has its created/created_at within a day or two of when the answer came (warning)",
        "rule.model.echo": "the answer's model is the requested one, or a snapshot of it (a date or version suffix)",
        "rule.moderations.count": "one moderation result per input: a string or a list of multi-modal parts is one, a list of strings one per item",
        "rule.moderations.scores": "moderation category scores are probabilities: finite, within [0, 1]",
        "rule.moderations.flagged": "a moderation result's `flagged` is true exactly when some category is",
        "rule.moderations.category-score": "a true moderation category scores at least 0.5, a false one below (warning: a heuristic, OpenAI publishes no thresholds)",
        "rule.moderations.input-types": "`category_applied_input_types` names only input types the request had (text; image for image parts), each once",
        "rule.moderations.id": "a moderation's id starts with `modr-` (warning)",
        "rule.moderations.model": "with no model asked, a moderation answer names a moderation model (`text-moderation-…`, `omni-moderation-…`) (warning)",
        "rule.images.n": "as many images as `n` asked (1 by default)",
        "rule.images.form": "a `data` list of images, each exactly one of `url` or `b64_json`: the one `response_format` asks (url by default for dall-e-2 and dall-e-3; gpt-image models always b64_json)",
        "rule.images.url": "an image's url is an absolute https URL",
        "rule.images.b64": "an image's b64_json is base64 of an image file (PNG, JPEG, WebP or GIF)",
        "rule.images.revised-prompt": "dall-e-3 gives each image a non-empty revised_prompt; dall-e-2 and the gpt-image models give none (warning)",
        "rule.models.owned-by": "a model's owned_by names its owner: a non-empty identifier of letters, digits, '-', '_', '.' ('openai', 'system', 'org-…'; warning)",
        # Responses API (semantics/responses.py)
        "rule.responses.usage-details": "a Response's usage details fit their totals: cached_tokens <= input_tokens, reasoning_tokens <= output_tokens",
        "rule.responses.status-details": "a Response's incomplete_details is set exactly when its status is incomplete, its error exactly when failed",
        "rule.responses.terminal": "the answer to POST /responses without background: true has a final status (completed, incomplete or failed)",
        "rule.responses.max-output-tokens": "a Response's usage.output_tokens is at most the max_output_tokens asked",
        "rule.responses.echo": "a Response repeats the request's instructions, temperature, top_p, tool_choice, max_output_tokens, previous_response_id, metadata, store, parallel_tool_calls, truncation, text.format (type, name) and tools (type, name), or their defaults when left out",
        "rule.responses.echo-unsent": "a Response's user, safety_identifier, prompt_cache_key and max_tool_calls are what the request sent: null or absent when it sent none",
        "rule.responses.tool-calls": "a Response's tool calls (function_call, web_search_call…) are only for tools of that kind (and name) that were sent, and none with tool_choice none",
        "rule.responses.tool-choice": "a forced tool_choice (required, a named function or tool type, allowed_tools required) is obeyed by a completed Response",
        "rule.responses.tool-arguments-schema": "a Response's call of a strict function tool has arguments valid against the declared parameters",
        "rule.responses.completed-output": "a completed Response has at least one output item",
        "rule.responses.text-format": "with text.format json_object a completed Response's output text is a JSON object; json_schema: JSON, valid against the schema when strict",
        "rule.responses.stream-order": "a Responses stream goes response.created, in_progress, per output item added, parts, deltas, done, then ends with one response.completed/incomplete/failed",
        "rule.responses.stream-ids": "a Responses stream's events carry one response id, and item_id/item ids that match the item added at their output_index",
        "rule.responses.sequence-number": "a Responses stream's events carry sequence_number 0, 1, 2… in order (all of them or none)",
        "rule.responses.stream-text": "a Responses stream's deltas add up to the done text (or arguments), the done item holds it, and the final Response's output is the items streamed",
        # Assistants: threads, runs, messages (semantics/assistants.py)
        "rule.assistants.stream-order": "a run stream goes thread.created (createThreadAndRun only), run created (not after submit_tool_outputs), queued, in_progress, steps and messages (each created first), one terminal run event, then event: done with data: [DONE]",
        "rule.assistants.stream-status": "a run, step or message event's object has the status its event name says (thread.run.created: queued; thread.message.created: in_progress)",
        "rule.assistants.stream-ids": "a run stream names one run and thread; its steps and messages carry that run_id and thread_id; deltas and message_creation steps name a step or message the stream created",
        "rule.assistants.stream-text": "a message's text deltas add up to the text of its thread.message.completed (or incomplete) event",
        "rule.assistants.requires-action": "a run requires action (status requires_action with required_action set, and only then) only when it has function tools, and its tool calls name them",
        "rule.assistants.run-status": "the answer to createRun, createThreadAndRun or submit_tool_outputs is a queued run; to cancelRun a cancelling one (warning)",
    }
)


# the suites (conformance.suites): what a live server's answers to sent requests show
CODES.update(
    {
        "server.error": "the server answered 5xx, to a valid request or not (never acceptable)",
        "error.envelope": "an error answer is not OpenAI's envelope: a JSON object {error: {message, type, param, code}} with string message and type, param and code strings or null",
        "error.disclosure": "an error answer leaks a stack trace, an exception's name or a server file path (information disclosure)",
        "error.accepted": "a request the spec forbids was answered 2xx instead of a 4xx",
        "error.unknown-model": "a model name the server cannot have was answered 2xx; OpenAI answers 404 model_not_found (warning)",
        "capability.unsupported": "the server does not serve the operation (404 with no OpenAI envelope, 405 or 501 on its route) or refuses a parameter as unsupported (OpenAI's unsupported_parameter / unsupported_value error)",
        "capability.refused": "a request the spec and OpenAI's rules allow was refused with a 4xx (a limit of the server; warning)",
        "capability.ignored": "a parameter was accepted but had no effect (n, stream, stream_options.include_usage, encoding_format…)",
        "transport.error": "the connection failed, was reset or closed before a whole answer came",
        "transport.desync": "the kept-alive connection was out of step: an earlier request's bytes were answered as this one (the request answered otherwise on a new connection)",
        "transport.timeout": "no answer, or no stream event, within the time bound (inconclusive)",
        "transport.bound": "the stream passed the event or byte bound and was cut before its end (inconclusive)",
    }
)


# client fuzzing (conformance.fuzz.classify): what one client run against the mock showed
CODES.update(
    {
        "fuzz.mock-bug": "the mock served an answer its own validator rejects (a bug of the mock; the client is not judged)",
        "fuzz.invalid-request": "the client sent a request the spec forbids",
        "fuzz.hang": "the client did not exit within the timeout and was killed",
        "fuzz.loop": "the client sent more requests to one method and path than the loop bound allows",
        "fuzz.crash": "the client was killed by a signal",
        "fuzz.untyped-exception": "the client died of an exception its SDK does not declare (not matching --typed: KeyError, JSONDecodeError…)",
        "fuzz.error-on-valid": "the client failed though every answer was a spec-valid 2xx (however the wire faults framed it)",
        "fuzz.truncation-accepted": "the client succeeded on an answer cut short (drop, truncate)",
        "fuzz.oracle-mismatch": "what the client printed as parsed differs from what was served (--oracle)",
        "fuzz.expected": "the client failed on an error answer or a fault that breaks or delays the answer, as it may (warning)",
        "fuzz.inconclusive": "the client timed out while the mock was still writing a paced answer (warning)",
    }
)


def table() -> str:
    """The codes table in Markdown, as the README shows it (``conformance codes`` prints it).

    >>> table().splitlines()[0]
    '| code | meaning |'
    """
    rows = ["| code | meaning |", "|---|---|"]
    rows.append(
        "| `schema.<keyword>` | the JSON Schema keyword failed: "
        + ", ".join(f"`{k}`" for k in SCHEMA_KEYWORDS)
        + " |"
    )
    rows += [f"| `{c}` | {d} |" for c, d in CODES.items() if not c.startswith("schema.")]
    return "\n".join(rows)
