// Baseline for the benchmarks: plain Socket.IO doing the same delivery work as the gateway, with no
// protocol logic at all: a room per session, a log per session (frames with seq, as the gateway
// keeps), one emit per event. A child process of the benchmark; it prints its URL on stdout and
// answers `{ cmd: 'memory' }` on its IPC channel (run it with --expose-gc for settled figures).
import { createServer } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { Server } from 'socket.io';
import { pacedTokens } from './pacing.mjs';

const httpServer = createServer();
const io = new Server(httpServer, { maxHttpBufferSize: 64 * 1024 * 1024, serveClient: false });
/** @type {Map<string, Array<{ sessionId: string, epoch: string, seq: number, event: Record<string, unknown> }>>} */
const logs = new Map();

/** @param {string} sessionId */
function logOf(sessionId) {
  let log = logs.get(sessionId);
  if (!log) logs.set(sessionId, (log = []));
  return log;
}

/**
 * @param {string} sessionId
 * @param {Record<string, unknown>} event
 */
function record(sessionId, event) {
  const log = logOf(sessionId);
  const frame = { sessionId, epoch: 'raw', seq: log.length + 1, event };
  log.push(frame);
  return frame;
}

io.on('connection', (socket) => {
  // Join: replay what the client missed, one emit per event, then answer.
  socket.on('join', (params, ack) => {
    void socket.join(params.sessionId);
    const log = logOf(params.sessionId);
    if (params.since !== undefined) for (let i = params.since; i < log.length; i++) socket.emit('replay', log[i]);
    ack({ ok: true, data: { cursor: log.length } });
  });
  // Store events without sending them (setting up a log to replay).
  socket.on('append', (params, ack) => {
    for (const event of params.events) record(params.sessionId, event);
    ack({ ok: true, data: { cursor: logOf(params.sessionId).length } });
  });
  // A token stream produced as fast as possible, in the same shape as the gateway's scripted agent:
  // one chunk per step, a turn of the event loop every 256 chunks.
  socket.on('stream', (params, ack) => {
    ack({ ok: true, data: {} });
    void (async () => {
      for (let index = 0; index < params.count; index++) {
        const frame = record(params.sessionId, { type: 'stream.chunk', runId: 'raw-run', streamId: 'raw-stream', index, text: params.text });
        io.to(params.sessionId).emit('session.event', frame);
        if (index % 256 === 255) await sleep(0);
      }
      const end = record(params.sessionId, { type: 'run.end', runId: 'raw-run', status: 'completed', at: Date.now() });
      io.to(params.sessionId).emit('session.event', end);
    })();
  });
  // A token stream at a fixed rate, each token stamped with the monotonic clock.
  socket.on('paced', (params, ack) => {
    ack({ ok: true, data: {} });
    void (async () => {
      let index = 0;
      for await (const text of pacedTokens(params.count, params.rate)) {
        const frame = record(params.sessionId, { type: 'stream.chunk', runId: 'raw-paced', streamId: 'raw-paced', index: index++, text });
        io.to(params.sessionId).emit('session.event', frame);
      }
      io.to(params.sessionId).emit('session.event', record(params.sessionId, { type: 'run.end', runId: 'raw-paced', status: 'completed', at: Date.now() }));
    })();
  });
});

process.on('message', (message) => {
  const request = /** @type {{ id: number, cmd: string }} */ (message);
  if (request.cmd === 'memory') {
    // Two passes: the first may only schedule finalisers.
    globalThis.gc?.();
    globalThis.gc?.();
    process.send?.({ id: request.id, memory: process.memoryUsage(), resources: process.getActiveResourcesInfo() });
  }
});
process.on('disconnect', () => process.exit(0));

httpServer.listen(0, '127.0.0.1', () => {
  const address = httpServer.address();
  if (address && typeof address === 'object') process.stdout.write(`http://127.0.0.1:${address.port}\n`);
});
