// What a call asks its client: the spend confirmation and (2026-07-28) the client's roots. Written once in the
// input-required form: the handler stops with InputNeeded, the call answers inputRequired(...), the client answers
// and sends the same call again with the answer. For a 2025-11-25 connection the SDK's legacy shim asks with
// elicitation/create on the live connection and re-enters the handler, so one code path serves both eras.
// Answers of earlier rounds ride in requestState: they are only what the client could assert itself anyway (the
// roots it names, a confirmation it could give with confirm_spend: true), so the state needs no seal.

import {
  CLIENT_CAPABILITIES_META_KEY,
  type ClientCapabilities,
  type InputRequest,
  inputRequired,
  inputResponse,
  type ServerContext,
} from "@modelcontextprotocol/server";
import { z } from "zod";
import { InputNeeded } from "../errors.js";
import type { SpendConfirmer } from "../usecases/spend-guard.js";
import { rootFolders } from "./roots.js";

export const CONFIRM_KEY = "confirm_spend";
export const ROOTS_KEY = "roots";

const AnswersSchema = z.object({
  confirm: z.enum(["accept", "decline"]).optional(),
  roots: z.array(z.string()).optional(),
});
/** The client's answers so far in one call. */
export type Answers = z.infer<typeof AnswersSchema>;

function stateOf(ctx: ServerContext): Answers {
  const raw = ctx.mcpReq.requestState();
  if (typeof raw !== "string") return {};
  try {
    const parsed = AnswersSchema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : {};
  } catch {
    return {};
  }
}

/** Earlier rounds' answers (requestState) and this round's (inputResponses). */
export function answersOf(ctx: ServerContext): Answers {
  const answers = stateOf(ctx);
  const responses = ctx.mcpReq.inputResponses;
  const confirm = inputResponse(responses, CONFIRM_KEY);
  if (confirm.kind === "elicit") {
    answers.confirm = confirm.action === "accept" && confirm.content?.confirm !== false ? "accept" : "decline";
  }
  const roots = inputResponse(responses, ROOTS_KEY);
  if (roots.kind === "roots") answers.roots = rootFolders(roots.roots.map((r) => r.uri));
  return answers;
}

/** The input-required result for a question, carrying the answers so far. */
export function ask(needed: InputNeeded, answers: Answers) {
  return inputRequired({
    inputRequests: { [needed.key]: needed.request as InputRequest },
    requestState: JSON.stringify(answers),
  });
}

/** The capabilities the client declared: per request (2026-07-28), or at initialize (2025-11-25). */
export function clientCapabilities(ctx: ServerContext, atInitialize: () => ClientCapabilities | undefined) {
  const declared = (ctx.mcpReq.envelope as Record<string, unknown> | undefined)?.[CLIENT_CAPABILITIES_META_KEY] as
    | ClientCapabilities
    | undefined;
  return declared ?? atInitialize();
}

/** Asks the person about a cost with a form (accept or decline), when the client can show one. */
export function spendConfirmer(answers: Answers, capabilities: ClientCapabilities | undefined): SpendConfirmer {
  return async (message) => {
    if (answers.confirm) return answers.confirm;
    if (!capabilities?.elicitation) return "unsupported";
    const request = inputRequired.elicit({
      mode: "form",
      message,
      requestedSchema: {
        type: "object",
        properties: { confirm: { type: "boolean", title: "Generate and pay", default: true } },
      },
    });
    throw new InputNeeded(CONFIRM_KEY, request, message);
  };
}

/** The client's roots asked in the request itself (2026-07-28: no roots/list from the server). */
export function rootsFromRequest(answers: Answers, capabilities: ClientCapabilities | undefined) {
  return async () => {
    if (answers.roots) return answers.roots.length > 0 ? { clientRoots: answers.roots } : false;
    if (!capabilities?.roots) return false;
    throw new InputNeeded(ROOTS_KEY, inputRequired.listRoots(), "the client's roots are needed to read this file");
  };
}
