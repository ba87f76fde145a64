import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { FormatError } from '../../formats/index.js';
import type { DemuxPlanInput } from '../../domain/demux-plan.js';
import type { RawTile } from './tile-loader.js';
import { processTile, type TileResult, type TileSettings } from './tile-processor.js';

export interface TileRequest {
  id: number;
  raw: RawTile;
  planInput: DemuxPlanInput;
  settings: TileSettings;
}

export type TileReply =
  | { id: number; result: TileResult }
  | {
      id: number;
      error: {
        name: string;
        message: string;
        file?: string | undefined;
        offset?: number | undefined;
      };
    };

/**
 * Worker threads for tiles: one per CPU, since a tile is pure CPU work (inflate, decode, match,
 * format, deflate) and the main thread only reads files and appends results.
 */
export const DEMUX_WORKERS = Math.max(1, availableParallelism());

/**
 * The compiled worker script. From the TypeScript sources (tests) the build of the same file in
 * `dist/` is used (the test setup builds it); without one, tiles run inline.
 */
function workerScript(): URL | undefined {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('.js')) return new URL('./tile.worker.js', import.meta.url);
  const built = here.replace(/[\\/]src[\\/](.*)[\\/][^\\/]+\.ts$/, '/dist/$1/tile.worker.js');
  return built !== here && existsSync(built) ? pathToFileURL(built) : undefined;
}

function revive(error: {
  name: string;
  message: string;
  file?: string | undefined;
  offset?: number | undefined;
}): Error {
  if (error.name !== 'FormatError') return new Error(error.message);
  const e = new FormatError('', { file: error.file, offset: error.offset });
  e.message = error.message;
  return e;
}

interface Slot {
  worker: Worker;
  busy: { resolve: (r: TileResult) => void; reject: (e: Error) => void; id: number } | undefined;
}

/** Runs {@link processTile} on worker threads (or inline when none can start). */
export class TilePool {
  private readonly slots: Slot[] = [];
  private readonly queue: {
    request: TileRequest;
    resolve: (r: TileResult) => void;
    reject: (e: Error) => void;
  }[] = [];
  private nextId = 1;
  private closed = false;
  readonly threaded: boolean;

  /** Tiles processed at once. */
  get size(): number {
    return Math.max(1, this.slots.length);
  }

  constructor(size = DEMUX_WORKERS) {
    const script = size > 0 ? workerScript() : undefined;
    if (script) {
      for (let i = 0; i < size; i++) {
        try {
          this.slots.push(this.start(script));
        } catch {
          break;
        }
      }
    }
    this.threaded = this.slots.length > 0;
  }

  private start(script: URL): Slot {
    // `--input-type` (an `-e` script's flag) is refused for a file entry: do not pass it on.
    const execArgv = process.execArgv.filter((a) => !a.startsWith('--input-type'));
    const slot: Slot = { worker: new Worker(script, { execArgv }), busy: undefined };
    slot.worker.on('message', (reply: TileReply) => {
      const busy = slot.busy;
      slot.busy = undefined;
      if (busy) {
        if ('result' in reply) busy.resolve(reply.result);
        else busy.reject(revive(reply.error));
      }
      this.pump();
    });
    const fail = (error: Error) => {
      const busy = slot.busy;
      slot.busy = undefined;
      busy?.reject(error);
    };
    slot.worker.on('error', fail);
    slot.worker.on('exit', (code) => {
      if (this.closed) return;
      fail(new Error(`a demultiplexing thread exited (${code})`));
      this.slots.splice(this.slots.indexOf(slot), 1);
      if (this.slots.length === 0) {
        for (const job of this.queue.splice(0))
          job.reject(new Error('no demultiplexing thread is left'));
      }
    });
    return slot;
  }

  run(raw: RawTile, planInput: DemuxPlanInput, settings: TileSettings): Promise<TileResult> {
    if (!this.threaded) {
      try {
        return Promise.resolve(processTile(raw, planInput, settings));
      } catch (error) {
        return Promise.reject(error as Error);
      }
    }
    return new Promise((resolve, reject) => {
      this.queue.push({
        request: { id: this.nextId++, raw, planInput, settings },
        resolve,
        reject,
      });
      this.pump();
    });
  }

  private pump(): void {
    for (const slot of this.slots) {
      if (slot.busy || this.queue.length === 0) continue;
      const job = this.queue.shift()!;
      slot.busy = { resolve: job.resolve, reject: job.reject, id: job.request.id };
      slot.worker.postMessage(job.request, transferables(job.request.raw));
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) job.reject(new Error('demultiplexing stopped'));
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}

/** The raw tile's buffers, moved (not copied) to the worker; only whole-buffer views qualify. */
function transferables(raw: RawTile): ArrayBuffer[] {
  const seen = new Set<ArrayBuffer>();
  const add = (bytes: Uint8Array) => {
    const buffer = bytes.buffer;
    if (
      buffer instanceof ArrayBuffer &&
      bytes.byteOffset === 0 &&
      bytes.byteLength === buffer.byteLength
    )
      seen.add(buffer);
  };
  add(raw.filter);
  if (raw.arena) seen.add(raw.arena);
  for (const c of raw.cycles) if (!raw.arena) add(c.kind === 'cbcl' ? c.block : c.bytes);
  return [...seen];
}

/**
 * The output members' buffers that can be moved to the main thread: zlib gives each member a
 * buffer of its own; one shared with anything else (a pool slice) is copied instead.
 */
export function transferableMembers(result: TileResult): ArrayBuffer[] {
  const count = new Map<ArrayBuffer, number>();
  const members = result.outputs.flatMap((o) => o.members);
  for (const m of members)
    if (m.buffer instanceof ArrayBuffer) count.set(m.buffer, (count.get(m.buffer) ?? 0) + 1);
  return [...count]
    .filter(([buffer, n]) => n === 1 && buffer.byteLength >= 4096)
    .map(([buffer]) => buffer);
}
