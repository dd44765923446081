// edit_of: "now make the sky orange" on an image made earlier. The source (a job_id or a saved image's path) is
// found through its production record, checked to be still there and unchanged, and becomes either the edit's first
// reference image (Images route) or a follow-up turn of the answer that made it (Responses route). Everything here
// happens before anything is sent; a source that is unknown, gone or changed is refused with a sentence.

import { createHash } from "node:crypto";
import type { EditLink, EditOf, SidecarRecord } from "../../contract/schemas.js";
import { errorMessage, InputError } from "../../errors.js";
import { JOB_ID } from "../../jobs/ids.js";
import type { ReadAccess, Workspace } from "../../workspace/workspace.js";
import { recoverJob } from "../recover.js";

/** The API's own cap on one input image (as for reference_images). */
const MAX_SOURCE_BYTES = 50 * 1024 * 1024;

export interface ResolvedEdit {
  editOf: EditOf;
  /** The source as the first reference image; null when it is sent as a follow-up turn instead. */
  reference: string | null;
  /** Responses route, source made there: continue that answer. */
  followUp: { previousResponseId: string } | null;
}

const refuse = (message: string) => new InputError(`edit_of: ${message} Nothing was sent.`, "edit_of");

/** The saved image a job made: its one image, or a refusal that says why there is none (or which to pick). */
async function pathOfJob(workspace: Workspace, jobId: string): Promise<string> {
  const result = await recoverJob(workspace, jobId);
  if (!result) {
    throw refuse(
      `no finished job "${jobId}" is known in this workspace (a running job must finish first: collect it with verify_image), or pass the path of a saved image.`,
    );
  }
  const [first, ...more] = result.images;
  if (result.status !== "completed" || !first)
    throw refuse(`job "${jobId}" saved no image, so there is nothing to edit.`);
  if (more.length > 0) {
    const paths = result.images.map((i) => i.path).join(", ");
    throw refuse(`job "${jobId}" made ${result.images.length} images (${paths}): pass the path of the one to edit.`);
  }
  return first.path;
}

/** Reads the source once (jail, size cap) and its production record. */
async function readSource(workspace: Workspace, requested: string, workspaceOnly: ReadAccess) {
  let file: Awaited<ReturnType<Workspace["open"]>>;
  try {
    file = await workspace.open(requested, "edit_of", { workspaceOnly, maxBytes: MAX_SOURCE_BYTES });
  } catch (err) {
    throw refuse(`the source image cannot be read (${errorMessage(err)}): it may be gone.`);
  }
  try {
    const bytes = await file.readAll();
    const record = await workspace.readSidecar(file.path);
    return { path: file.path, sha256: createHash("sha256").update(bytes).digest("hex"), record };
  } finally {
    await file.close();
  }
}

const single = (ids: readonly string[]) => (ids.length === 1 ? (ids[0] ?? null) : null);

function linkOf(edit: EditOf): EditLink {
  return { path: edit.path, sha256: edit.sha256, job_id: edit.job_id };
}

function editOfRecord(path: string, sha256: string, record: SidecarRecord): EditOf {
  const parent = record.edit_of ?? null;
  return {
    path,
    sha256,
    job_id: record.job_id || null,
    route: record.route,
    response_id: record.response_id ?? single(record.response_ids),
    image_call_id: record.image_call_id ?? single(record.result.image_call_ids),
    width: record.saved.width,
    height: record.saved.height,
    // The edits before this source, oldest first: its own chain, then the image it was made from.
    chain: parent ? [...parent.chain, linkOf(parent)] : [],
  };
}

/** Finds, checks and describes the image an edit_of names; how it is sent depends on the route and its origin. */
export async function resolveEditOf(
  target: string,
  route: "images" | "responses",
  workspace: Workspace,
  workspaceOnly: ReadAccess,
): Promise<ResolvedEdit> {
  const wanted = target.trim();
  const requested = JOB_ID.test(wanted) ? await pathOfJob(workspace, wanted) : wanted;
  const { path, sha256, record } = await readSource(workspace, requested, workspaceOnly);
  if (!record) {
    throw refuse(
      `${path} has no production record beside it, so pixelwright cannot tell what it is: pass it as reference_images instead.`,
    );
  }
  if (record.saved.sha256 !== sha256) {
    throw refuse(
      `${path} changed since it was saved (its sha256 differs from the production record's ${record.saved.sha256.slice(0, 12)}…): pass it as reference_images to edit it as it is now.`,
    );
  }
  if (record.saved.format === "gif") {
    throw refuse(
      `${path} is a GIF animation: edits take PNG, JPEG or WebP images. Make a still of it first (for example with output_format png).`,
    );
  }
  const editOf = editOfRecord(path, sha256, record);
  if (route === "responses" && editOf.route === "responses" && editOf.response_id) {
    return { editOf, reference: null, followUp: { previousResponseId: editOf.response_id } };
  }
  return { editOf, reference: path, followUp: null };
}
