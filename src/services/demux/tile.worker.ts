import { parentPort } from 'node:worker_threads';
import { processTile } from './tile-processor.js';
import { transferableMembers, type TileRequest, type TileReply } from './tile-pool.js';

/** Worker thread entry: demultiplexes the tiles it is sent, replying with transferable results. */
parentPort?.on('message', (request: TileRequest) => {
  let reply: TileReply;
  try {
    const result = processTile(request.raw, request.planInput, request.settings);
    reply = { id: request.id, result };
    parentPort!.postMessage(reply, [
      ...transferableMembers(result),
      ...(result.arena ? [result.arena] : []),
    ]);
  } catch (error) {
    const e = error as Error & { file?: string; offset?: number };
    reply = {
      id: request.id,
      error: { name: e.name, message: e.message, file: e.file, offset: e.offset },
    };
    parentPort!.postMessage(reply);
  }
});
