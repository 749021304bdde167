// Baseline for the benchmarks: plain Socket.IO doing the same delivery work the gateway does
// (rooms, one JSON frame per event, optional batching), with no protocol logic at all.
import { createServer } from 'node:http';
import { Server } from 'socket.io';

const httpServer = createServer();
const io = new Server(httpServer, { maxHttpBufferSize: 64 * 1024 * 1024 });
const logs = new Map();

function frame(sessionId, seq, text) {
  return { sessionId, epoch: 'raw', seq, event: { type: 'stream.chunk', runId: 'r1', streamId: 's1', index: seq, text } };
}

io.on('connection', (socket) => {
  socket.on('join', (params, ack) => {
    socket.join(params.sessionId);
    const log = logs.get(params.sessionId) ?? [];
    const since = params.since ?? 0;
    const missed = log.slice(since);
    for (let i = 0; i < missed.length; i += params.batch) socket.emit('replay', missed.slice(i, i + params.batch));
    ack({ ok: true, data: { cursor: log.length } });
  });
  socket.on('produce', (params, ack) => {
    const log = logs.get(params.sessionId) ?? [];
    logs.set(params.sessionId, log);
    const frames = [];
    for (let i = 0; i < params.count; i += 1) {
      const f = frame(params.sessionId, log.length + 1, params.text);
      log.push(f);
      frames.push(f);
    }
    for (let i = 0; i < frames.length; i += params.batch) io.to(params.sessionId).emit('session.event', frames.slice(i, i + params.batch));
    ack({ ok: true, data: { cursor: log.length } });
  });
  socket.on('ping.rt', (_params, ack) => ack({ ok: true, data: {} }));
});

httpServer.listen(0, '127.0.0.1', () => {
  const { port } = httpServer.address();
  process.stdout.write(`http://127.0.0.1:${port}\n`);
});
