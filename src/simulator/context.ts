// The simulator's public shapes and the state its surfaces share: one object per running simulator, handed to
// each surface with the exchange (request, response, record, abort signal) it is answering.

import type { IncomingMessage, ServerResponse } from "node:http";
import { type BatchFault, type Fault, type GatewayModes, NO_GATEWAY_MODES } from "./knobs.js";

export interface SimulatorOptions {
  host?: string;
  port?: number;
  /** When set, only this bearer key is accepted; otherwise any non-empty key is. */
  apiKey?: string;
  latencyMs?: number;
  faults?: Fault[];
  /** How the next batches end, one per batch created. */
  batchFaults?: BatchFault[];
  gateway?: Partial<GatewayModes>;
  /** Render noisy, realistically large files instead of flat placeholders. */
  realistic?: boolean;
  /** Streamed answers wait this long after each partial image, like a model that is still rendering. */
  partialDelayMs?: number;
}

export interface SimulatedRequest {
  id: string;
  path: string;
  model?: string;
  size?: string;
  n?: number;
  stream: boolean;
  fault?: Fault;
  status: number;
  /** Edits: the sha256 of each uploaded image, so a test can tell exactly which bytes were sent. */
  inputSha256?: string[];
  /** Edits: the sha256 of the markup overlay, when one was sent. */
  markupSha256?: string;
  /** Responses route: the earlier answer a follow-up turn continues (previous_response_id). */
  previousResponseId?: string;
  /** true when the client closed the connection before the answer was complete. */
  aborted: boolean;
  /** Wall time from the request's arrival to the end of the answer: the upstream's share of a call. */
  durationMs: number;
}

export interface SimulatorStats {
  requests: SimulatedRequest[];
  /** Image requests (generations and edits) that reached the simulator, faults included. */
  imageRequests: number;
  inFlight: number;
  maxInFlight: number;
}

export interface Simulator {
  url: string;
  baseURL: string;
  port: number;
  stats: SimulatorStats;
  enqueueFaults(...faults: Fault[]): void;
  enqueueBatchFaults(...faults: BatchFault[]): void;
  /** Batches held in progress (batch_running) go on: their next look finds them completed. */
  releaseBatches(): void;
  setLatency(ms: number): void;
  setGateway(modes: Partial<GatewayModes>): void;
  reset(): void;
  close(): Promise<void>;
}

/** An image a Responses answer made: what a follow-up turn (previous_response_id) edits. */
export interface StoredTurn {
  responseId: string;
  imageCallId: string;
  width: number;
  height: number;
}

/** A file of the Files API: an uploaded request file, or a batch's output or error file. */
export interface StoredFile {
  id: string;
  bytes: Buffer;
  filename: string;
  purpose: string;
  createdAt: number;
}

/** A batch of the Batch API, as the simulator runs it (batches.ts). */
export interface SimBatch {
  id: string;
  inputFileId: string;
  endpoint: string;
  window: string;
  metadata: Record<string, string> | null;
  createdAt: number;
  status: string;
  fault: BatchFault | undefined;
  /** The requests of its input file, until the batch is answered. */
  requests: { customId: string; body: Record<string, unknown> }[];
  /** Held in progress until released (batch_running). */
  held: boolean;
  outputFileId: string | null;
  errorFileId: string | null;
  counts: { total: number; completed: number; failed: number };
  errors: { code: string; message: string; line: number | null }[];
  /** Unix seconds of each step reached (in_progress_at, completed_at, ...). */
  times: Record<string, number>;
}

export interface HostedFile {
  bytes: Buffer;
  mime: string;
  expires: number;
}

/** What every surface of one running simulator reads and steers. */
export interface SimState {
  readonly options: SimulatorOptions;
  readonly stats: SimulatorStats;
  /** Faults waiting, consumed one per image request. */
  readonly faults: Fault[];
  /** Batch faults waiting, consumed one per batch created. */
  readonly batchFaults: BatchFault[];
  /** The Files API's files and the Batch API's batches, by id. */
  readonly files: Map<string, StoredFile>;
  readonly batches: Map<string, SimBatch>;
  latencyMs: number;
  gateway: GatewayModes;
  /** Images served by url (url-only gateway mode), by id. */
  readonly hosted: Map<string, HostedFile>;
  /** Responses answers that made an image, by response id and by image call id (the last few hundred). */
  readonly turns: Map<string, StoredTurn>;
  /** Realistic (noisy) renders are slow and deterministic: the last few, so benchmarks measure the server. */
  readonly renderCache: Map<string, Promise<Buffer>>;
  /** http://host:port, known once the server listens. */
  baseUrl: string;
}

/** One request being answered. */
export interface Exchange {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  record: SimulatedRequest;
  /** Aborts when the client goes away before the answer is complete. */
  signal: AbortSignal;
}

export function createState(options: SimulatorOptions): SimState {
  return {
    options,
    stats: { requests: [], imageRequests: 0, inFlight: 0, maxInFlight: 0 },
    faults: [...(options.faults ?? [])],
    batchFaults: [...(options.batchFaults ?? [])],
    files: new Map(),
    batches: new Map(),
    latencyMs: options.latencyMs ?? 0,
    gateway: { ...NO_GATEWAY_MODES, ...options.gateway },
    hosted: new Map(),
    turns: new Map(),
    renderCache: new Map(),
    baseUrl: "",
  };
}

/** Back to the state the simulator started with: no queued faults, no records, the configured gateway modes. */
export function resetState(state: SimState): void {
  state.faults.length = 0;
  state.batchFaults.length = 0;
  state.files.clear();
  state.batches.clear();
  state.stats.requests.length = 0;
  state.stats.imageRequests = 0;
  state.stats.maxInFlight = state.stats.inFlight;
  state.gateway = { ...NO_GATEWAY_MODES, ...state.options.gateway };
  state.hosted.clear();
  state.turns.clear();
}

/** Keeps a Responses turn for follow-ups, by both of its ids; the oldest go first past a few hundred. */
export function rememberTurn(state: SimState, turn: StoredTurn): void {
  state.turns.set(turn.responseId, turn);
  state.turns.set(turn.imageCallId, turn);
  while (state.turns.size > 512) state.turns.delete(state.turns.keys().next().value as string);
}
