// A fuzz client: one openai-node call per run, what it parsed printed as one JSON line.
//
// Usage: OPENAI_BASE_URL=… OPENAI_API_KEY=… node openai_node.mjs CALL   (CALL: see --list)
//
// The SDK is loaded from tests/fuzz/node4 (openai 4.x, installed by scripts/fuzz_clients.sh), or
// from the folder whose package.json OPENAI_NODE_PACKAGE names (tests/mock/node: openai 6.x).
// An exception is reported on stderr as "exception: NAME: message", NAME prefixed "openai." when
// it is one of the SDK's own (an OpenAIError), then exit 1: the harness reads its type there.
import { createRequire } from "node:module";
import { resolve } from "node:path";

const here = new URL(".", import.meta.url).pathname;
const manifest = process.env.OPENAI_NODE_PACKAGE ?? resolve(here, "../node4/package.json");
const require = createRequire(resolve(manifest));
const OpenAI = require("openai");
const OpenAIClass = OpenAI.default ?? OpenAI.OpenAI ?? OpenAI;

const MODEL = "gpt-4o-mini";
const MESSAGES = [{ role: "user", content: "Say hello." }];
const toFile = OpenAI.toFile ?? OpenAIClass.toFile;

async function upload(client) {
  const file = await toFile(Buffer.from("hello\n"), "notes.txt", { type: "text/plain" });
  return client.files.create({ file, purpose: "assistants" });
}

async function collect(stream) {
  const out = [];
  for await (const event of stream) out.push(event);
  return out;
}

const CALLS = {
  models: async (c) => {
    const page = await c.models.list();
    return { object: "list", data: page.data };
  },
  chat: (c) => c.chat.completions.create({ model: MODEL, messages: MESSAGES }),
  "chat-stream": async (c) =>
    collect(await c.chat.completions.create({ model: MODEL, messages: MESSAGES, stream: true })),
  "embeddings-float": (c) =>
    c.embeddings.create({ model: "text-embedding-3-small", input: "hi", encoding_format: "float" }),
  "embeddings-base64": (c) =>
    c.embeddings.create({ model: "text-embedding-3-small", input: "hi", encoding_format: "base64" }),
  "files-create": (c) => upload(c),
  "files-retrieve": async (c) => c.files.retrieve((await upload(c)).id),
  responses: (c) => c.responses.create({ model: MODEL, input: "Say hello." }),
  "responses-stream": async (c) =>
    collect(await c.responses.create({ model: MODEL, input: "Say hello.", stream: true })),
};

const call = process.argv[2];
if (call === "--list") {
  console.log(Object.keys(CALLS).join(","));
  process.exit(0);
}
if (!(call in CALLS)) {
  console.error(`usage: openai_node.mjs CALL (one of ${Object.keys(CALLS).join(", ")})`);
  process.exit(2);
}
try {
  const client = new OpenAIClass();
  const result = await CALLS[call](client);
  process.stdout.write(JSON.stringify(result) + "\n");
} catch (error) {
  const name = error?.constructor?.name ?? typeof error;
  const typed = OpenAI.OpenAIError && error instanceof OpenAI.OpenAIError;
  console.error(error?.stack ?? String(error));
  console.error(`exception: ${typed ? "openai." : ""}${name}: ${String(error?.message ?? error).split("\n")[0]}`);
  process.exit(1);
}
