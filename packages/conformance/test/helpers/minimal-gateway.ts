import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { EventFrame, JoinParams, SessionEvent, Snapshot } from '@agent-gateway/schema';
import { Server, type Socket } from 'socket.io';
import { createControlSurface, type ControlHandlers } from '../../src/control/index.js';

/**
 * The smallest third-party gateway that adopts the control surface: in-memory logs, join with
 * replay or snapshot, live frames, sessions.list, and `control` through
 * `@agent-gateway/conformance/control` with the handlers a test passes. Only what the control
 * checks touch; everything else is out of scope.
 */
interface Log {
  epoch: string;
  events: SessionEvent[];
  members: Set<Socket>;
}

export interface MinimalGateway {
  url: string;
  close(): Promise<void>;
}

const LIMITS = { maxPayloadBytes: 1_048_576, maxFramesPerBatch: 512, maxEvents: 10_000, maxBytes: 8_388_608 };

export async function startMinimalGateway(options: {
  controlToken?: string;
  handlers?: (logs: { append(sessionId: string, events: SessionEvent[]): Log & { firstSeq: number } }) => ControlHandlers<Socket>;
}): Promise<MinimalGateway> {
  const logs = new Map<string, Log>();
  const logOf = (sessionId: string): Log => {
    let log = logs.get(sessionId);
    if (!log) logs.set(sessionId, (log = { epoch: randomBytes(8).toString('hex'), events: [], members: new Set() }));
    return log;
  };
  const frame = (sessionId: string, log: Log, index: number): EventFrame => ({ sessionId, epoch: log.epoch, seq: index + 1, event: log.events[index]! });
  const append = (sessionId: string, events: SessionEvent[]) => {
    const log = logOf(sessionId);
    const firstSeq = log.events.length + 1;
    log.events.push(...events);
    const frames = events.map((_, i) => frame(sessionId, log, firstSeq - 1 + i));
    for (const member of log.members) member.emit('session.event', frames);
    return { ...log, firstSeq };
  };
  const control = createControlSurface<Socket>({ token: options.controlToken, handlers: options.handlers?.({ append }) ?? {} });

  const http = createServer();
  const io = new Server(http);
  io.on('connection', (socket) => {
    control.attach(socket);
    socket.emit('hello', {
      protocolVersion: '1.0',
      supported: { min: '1.0', max: '1.0' },
      gateway: { name: 'minimal', version: '0.0.1' },
      limits: LIMITS,
      control: control.hello(socket),
    });
    socket.on('join', (params: JoinParams, ack: (result: unknown) => void) => {
      const log = logOf(params.sessionId);
      const cursor = log.events.length;
      const replay = params.since !== undefined && params.epoch === log.epoch && params.since <= cursor;
      const joined = {
        sessionId: params.sessionId,
        epoch: log.epoch,
        cursor,
        oldestCursor: 1,
        resyncRequired: !replay,
        ...(replay ? {} : { reason: params.since === undefined ? 'fresh-join' : 'epoch-mismatch' }),
        protocolVersion: '1.0',
      };
      socket.emit('joined', joined);
      if (replay && params.since! < cursor) {
        socket.emit(
          'replay',
          log.events.slice(params.since).map((_, i) => frame(params.sessionId, log, params.since! + i)),
        );
      }
      if (!replay) {
        const now = Date.now();
        const snapshot: Snapshot = {
          sessionId: params.sessionId,
          epoch: log.epoch,
          eventCursor: cursor,
          oldestCursor: 1,
          state: { status: 'idle', hasActiveRun: false, createdAt: now, updatedAt: now },
          messages: [],
          activeRun: null,
          events: [],
        };
        socket.emit('snapshot', snapshot);
      }
      log.members.add(socket);
      ack({ ok: true, data: joined });
    });
    socket.on('sessions.list', (_params: unknown, ack: (result: unknown) => void) => ack({ ok: true, data: { sessions: [] } }));
    socket.on('disconnect', () => {
      for (const log of logs.values()) log.members.delete(socket);
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => void io.close(() => resolve())) };
}
