// The Files API surface, as much of it as a batch uses: POST /v1/files (multipart: file, purpose), GET /v1/files/{id}
// and GET /v1/files/{id}/content. A batch's output and error files are stored here too (storeFile).

import { randomBytes } from "node:crypto";
import type { Exchange, SimState, StoredFile } from "./context.js";
import { MULTIPART_LIMIT, parseMultipart, readBody, reject, sendJson } from "./http.js";

const PURPOSES = ["assistants", "batch", "fine-tune", "vision", "user_data", "evals"];

/** A file object as the API returns it. */
export function fileObject(file: StoredFile) {
  return {
    id: file.id,
    object: "file",
    bytes: file.bytes.length,
    created_at: file.createdAt,
    filename: file.filename,
    purpose: file.purpose,
    status: "processed",
    expires_at: null,
  };
}

export function storeFile(state: SimState, bytes: Buffer, filename: string, purpose: string): StoredFile {
  const file = {
    id: `file-${randomBytes(12).toString("hex")}`,
    bytes,
    filename,
    purpose,
    createdAt: Math.floor(Date.now() / 1000),
  };
  state.files.set(file.id, file);
  return file;
}

function known(state: SimState, id: string): StoredFile {
  const file = state.files.get(id);
  if (!file) throw reject(404, `No such File object: ${id}`, { param: "id" });
  return file;
}

async function upload(state: SimState, ex: Exchange): Promise<void> {
  const raw = await readBody(ex.req, MULTIPART_LIMIT);
  const body = await parseMultipart(ex.req, raw).catch(() => {
    throw reject(400, "We could not parse the multipart body of your request.");
  });
  const purpose = typeof body.purpose === "string" ? body.purpose : "";
  if (!PURPOSES.includes(purpose)) {
    throw reject(400, `'${purpose}' is not one of ${PURPOSES.map((p) => `'${p}'`).join(", ")} - 'purpose'`, {
      param: "purpose",
    });
  }
  const file = body.file;
  if (!(file instanceof Blob)) throw reject(400, "Missing required parameter: 'file'.", { param: "file" });
  const name = file instanceof File ? file.name : "upload";
  if (purpose === "batch" && !name.endsWith(".jsonl")) {
    throw reject(400, "Invalid file format for Batch API. Must be .jsonl", { param: "file" });
  }
  sendJson(ex.res, 200, fileObject(storeFile(state, Buffer.from(await file.arrayBuffer()), name, purpose)));
}

/** /v1/files and /v1/files/{id}[/content]. */
export async function handleFiles(state: SimState, ex: Exchange): Promise<void> {
  const { req, res, url } = ex;
  const [, , , id, content] = url.pathname.split("/");
  if (req.method === "POST" && id === undefined) return upload(state, ex);
  if (req.method === "GET" && id && content === undefined) return sendJson(res, 200, fileObject(known(state, id)));
  if (req.method === "GET" && id && content === "content") {
    const file = known(state, id);
    res.writeHead(200, { "content-type": "application/octet-stream", "content-length": file.bytes.length });
    res.end(file.bytes);
    return;
  }
  throw reject(404, `Invalid URL (${req.method} ${url.pathname})`);
}
