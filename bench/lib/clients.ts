/* Socket.IO clients of the benchmarks: plain socket.io-client over websocket, one per simulated user. */
import { io, type Socket } from 'socket.io-client';
import { CONTROL_TOKEN } from './processes.js';

export type { Socket };

export function connect(url: string, auth: Record<string, unknown> = {}): Promise<Socket> {
  const socket = io(url, { transports: ['websocket'], auth, reconnection: false, forceNew: true });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', reject);
  });
}

/** Connect `count` clients, at most `parallel` handshakes at once. */
export async function connectMany(url: string, count: number, auth: Record<string, unknown> = {}, parallel = 50): Promise<Socket[]> {
  const sockets: Socket[] = [];
  for (let i = 0; i < count; i += parallel) {
    sockets.push(...(await Promise.all(Array.from({ length: Math.min(parallel, count - i) }, () => connect(url, auth)))));
  }
  return sockets;
}

export const controlAuth = { controlToken: CONTROL_TOKEN };

type AckResult = { ok: true; data: any } | { ok: false; error: { code: string; message: string } };

/** One request with the protocol's result shape; throws on `ok: false`. */
export async function request(socket: Socket, event: string, params: unknown, timeoutMs = 120_000): Promise<any> {
  const result = (await socket.timeout(timeoutMs).emitWithAck(event, params)) as AckResult;
  if (!result.ok) throw new Error(`${event} failed: ${result.error.code} ${result.error.message}`);
  return result.data;
}

/** Run `tasks` with at most `parallel` in flight. */
export async function pool<T>(count: number, parallel: number, task: (index: number) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(parallel, count) }, async () => {
      while (next < count) {
        const index = next++;
        results[index] = await task(index);
      }
    }),
  );
  return results;
}

export function closeAll(sockets: Iterable<Socket>): void {
  for (const socket of sockets) socket.close();
}

interface Frame {
  seq: number;
  event: { type: string };
}

/**
 * Resolve when `socket` has received frames on `event` until `done(lastFrame, count)` holds. Gateway
 * payloads are arrays of frames; the raw server sends one frame per emit.
 */
export function receiveUntil(socket: Socket, event: string, done: (last: Frame, received: number) => boolean): Promise<number> {
  let received = 0;
  return new Promise((resolve) => {
    const listener = (payload: Frame | Frame[]) => {
      let last: Frame;
      if (Array.isArray(payload)) {
        received += payload.length;
        last = payload[payload.length - 1]!;
      } else {
        received += 1;
        last = payload;
      }
      if (done(last, received)) {
        socket.off(event, listener);
        resolve(received);
      }
    };
    socket.on(event, listener);
  });
}

export const isRunEnd = (frame: Frame) => frame.event.type === 'run.end';
