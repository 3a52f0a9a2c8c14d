// Drive the conformance mock with the official OpenAI Node SDK.
//
//   node sdk_check.mjs http://127.0.0.1:PORT/v1
//
// One JSON line per call on stdout: {"call": ..., "ok": true|false, "ms": ..., "detail"|"error": ...}.
// Every call runs even after a failure; the exit code is 1 when any call failed, 2 on a usage error.
// Used by tests/mock/test_node_sdk.py.

import OpenAI, { NotFoundError, toFile } from "openai";

const baseURL = process.argv[2];
if (!baseURL) {
  console.error("usage: node sdk_check.mjs BASE_URL");
  process.exit(2);
}
const client = new OpenAI({ baseURL, apiKey: "sk-test", maxRetries: 0, timeout: 20_000 });
const MODEL = "gpt-4o-mini";
let failures = 0;

class CheckError extends Error {}

function check(cond, message) {
  if (!cond) throw new CheckError(message);
}

function describe(err) {
  const out = { name: err?.constructor?.name, message: String(err?.message ?? err) };
  if (err?.status !== undefined) out.status = err.status;
  if (err?.error !== undefined) out.body = err.error;
  if (err?.stack && !(err instanceof OpenAI.APIError || err instanceof CheckError)) out.stack = err.stack.split("\n").slice(0, 4);
  return out;
}

async function step(call, fn) {
  const t0 = performance.now();
  try {
    const detail = await fn();
    const ms = +(performance.now() - t0).toFixed(1);
    console.log(JSON.stringify({ call, ok: true, ms, detail: detail ?? null }));
    return detail;
  } catch (err) {
    failures += 1;
    const ms = +(performance.now() - t0).toFixed(1);
    console.log(JSON.stringify({ call, ok: false, ms, error: describe(err) }));
    return undefined;
  }
}

const messages = [{ role: "user", content: "Say hello in one word." }];

await step("chat.completions.create", async () => {
  const c = await client.chat.completions.create({ model: MODEL, messages });
  check(typeof c.id === "string" && c.id, "no id");
  check(c.object === "chat.completion", `object ${c.object}`);
  check(Array.isArray(c.choices) && c.choices.length >= 1, "no choices");
  const msg = c.choices[0].message;
  check(msg && msg.role === "assistant", `message role ${msg?.role}`);
  return { id: c.id, model: c.model, finish_reason: c.choices[0].finish_reason };
});

await step("chat.completions.create stream", async () => {
  const stream = await client.chat.completions.create({ model: MODEL, messages, stream: true });
  const chunks = [];
  for await (const chunk of stream) chunks.push(chunk);
  check(chunks.length >= 2, `${chunks.length} chunk(s)`);
  check(
    chunks.every((c) => c.object === "chat.completion.chunk"),
    "a chunk is not a chat.completion.chunk",
  );
  const last = chunks[chunks.length - 1];
  check(last.choices?.length >= 1, "last chunk has no choices");
  check(last.choices.every((c) => c.finish_reason), "last chunk has no finish_reason");
  const text = chunks.map((c) => c.choices?.[0]?.delta?.content ?? "").join("");
  return { chunks: chunks.length, finish_reason: last.choices[0].finish_reason, text };
});

await step("chat.completions.create stream include_usage", async () => {
  const stream = await client.chat.completions.create({
    model: MODEL,
    messages,
    stream: true,
    stream_options: { include_usage: true },
  });
  const chunks = [];
  for await (const chunk of stream) chunks.push(chunk);
  check(chunks.length >= 2, `${chunks.length} chunk(s)`);
  const withChoices = chunks.filter((c) => c.choices?.length);
  check(withChoices.length >= 1, "no chunk with choices");
  const lastChoice = withChoices[withChoices.length - 1];
  check(lastChoice.choices.every((c) => c.finish_reason), "last choice chunk has no finish_reason");
  const last = chunks[chunks.length - 1];
  check(last.usage && typeof last.usage.total_tokens === "number", "last chunk has no usage");
  check(Array.isArray(last.choices) && last.choices.length === 0, "usage chunk has choices");
  return { chunks: chunks.length, usage: last.usage };
});

await step("chat.completions.stream helper", async () => {
  // the SDK's accumulating helper: finalChatCompletion() rebuilds the completion from deltas
  const runner = client.chat.completions.stream({ model: MODEL, messages });
  const final = await runner.finalChatCompletion();
  check(final.choices?.length >= 1, "no choices in the final completion");
  check(final.choices[0].finish_reason, "no finish_reason in the final completion");
  return { finish_reason: final.choices[0].finish_reason };
});

function checkEmbeddings(e, inputs) {
  check(e.object === "list", `object ${e.object}`);
  check(
    e.data?.length === inputs.length,
    `${e.data?.length} embedding(s) for ${inputs.length} input(s)`,
  );
  e.data.forEach((d, i) => {
    check(d.index === i, `data[${i}].index is ${d.index}`);
    const v = d.embedding;
    check(Array.isArray(v) && v.length >= 1, `data[${i}].embedding has ${v?.length} value(s)`);
    check(
      v.every((x) => typeof x === "number" && Number.isFinite(x)),
      `data[${i}].embedding has a value that is not a finite number`,
    );
  });
  return { n: e.data.length, dims: e.data[0].embedding.length };
}

await step("embeddings.create", async () => {
  // no encoding_format: the SDK sends encoding_format "base64" and decodes each
  // data[i].embedding as a base64 string of float32s (an array decodes to garbage)
  const inputs = ["hello"];
  const body = { model: "text-embedding-3-small", input: inputs[0] };
  const e = await client.embeddings.create(body);
  const out = checkEmbeddings(e, inputs);
  // what the SDK decoded above must have been base64 on the wire
  const raw = await client.post("/embeddings", { body: { ...body, encoding_format: "base64" } });
  const wire = raw.data?.[0]?.embedding;
  check(typeof wire === "string", `encoding_format base64 answered with a ${typeof wire} embedding`);
  const bytes = Buffer.from(wire, "base64").length;
  check(bytes > 0 && bytes % 4 === 0, `base64 embedding decodes to ${bytes} bytes`);
  return out;
});

await step("embeddings.create float", async () => {
  const inputs = ["hello", "world"];
  const e = await client.embeddings.create({
    model: "text-embedding-3-small",
    input: inputs,
    encoding_format: "float",
  });
  return checkEmbeddings(e, inputs);
});

const modelId = await step("models.list", async () => {
  const ids = [];
  for await (const m of client.models.list()) {
    check(typeof m.id === "string" && m.id, "a model has no id");
    check(m.object === "model", `object ${m.object}`);
    ids.push(m.id);
    if (ids.length >= 1000) break;
  }
  // an empty list is allowed by the spec (models.retrieve then asks for a fixed id)
  return { count: ids.length, first: ids[0] ?? null };
});

await step("models.retrieve", async () => {
  const id = modelId?.first ?? "gpt-4o-mini";
  const m = await client.models.retrieve(id);
  check(m.object === "model", `object ${m.object}`);
  check(m.id === id, `asked for ${id}, got ${m.id}`);
  return { id: m.id };
});

const payload = Buffer.from('{"prompt": "ping", "completion": "pong"}\n\u00e9\u0000\u00ff binary tail', "utf8");
const uploaded = await step("files.create", async () => {
  const f = await client.files.create({
    file: await toFile(payload, "sdk-check.jsonl", { type: "application/jsonl" }),
    purpose: "user_data",
  });
  check(typeof f.id === "string" && f.id, "no id");
  check(f.object === "file", `object ${f.object}`);
  check(f.filename === "sdk-check.jsonl", `filename ${f.filename}`);
  check(f.bytes === payload.length, `bytes ${f.bytes}, sent ${payload.length}`);
  return { id: f.id, bytes: f.bytes, purpose: f.purpose };
});

if (uploaded) {
  await step("files.retrieve", async () => {
    const f = await client.files.retrieve(uploaded.id);
    check(f.id === uploaded.id, `asked for ${uploaded.id}, got ${f.id}`);
    check(f.filename === "sdk-check.jsonl", `filename ${f.filename}`);
    return { id: f.id };
  });

  await step("files.content", async () => {
    const res = await client.files.content(uploaded.id);
    const got = Buffer.from(await res.arrayBuffer());
    check(got.equals(payload), `content differs: ${got.length} bytes, sent ${payload.length}`);
    return { bytes: got.length, content_type: res.headers.get("content-type") };
  });

  await step("files.delete", async () => {
    const d = await client.files.delete(uploaded.id);
    check(d.id === uploaded.id, `deleted ${d.id}`);
    check(d.deleted === true, `deleted: ${d.deleted}`);
    return d;
  });

  await step("files.retrieve after delete", async () => {
    try {
      await client.files.retrieve(uploaded.id);
    } catch (err) {
      check(err instanceof NotFoundError, `rejected with ${err?.constructor?.name} ${err?.status}`);
      check(err.status === 404, `status ${err.status}`);
      return { status: err.status, error: err.error };
    }
    throw new Error("retrieve of a deleted file resolved");
  });
} else {
  failures += 1;
  console.log(JSON.stringify({ call: "files.*", ok: false, error: { message: "skipped: upload failed" } }));
}

await step("responses.create", async () => {
  const r = await client.responses.create({ model: MODEL, input: "Say hello in one word." });
  check(typeof r.id === "string" && r.id, "no id");
  check(r.object === "response", `object ${r.object}`);
  check(Array.isArray(r.output), "no output array");
  return { id: r.id, status: r.status, output_text: r.output_text };
});

await step("responses.create stream", async () => {
  const stream = await client.responses.create({
    model: MODEL,
    input: "Say hello in one word.",
    stream: true,
  });
  const types = [];
  let completed;
  for await (const event of stream) {
    check(typeof event.type === "string", "an event has no type");
    types.push(event.type);
    if (event.type === "response.completed") completed = event.response;
  }
  check(types.length >= 2, `${types.length} event(s)`);
  check(completed, `no response.completed among ${[...new Set(types)].join(", ")}`);
  check(completed.object === "response", `completed.response.object ${completed.object}`);
  return { events: types.length, first: types[0], last: types[types.length - 1] };
});

console.log(JSON.stringify({ done: true, failures }));
process.exit(failures ? 1 : 0);
