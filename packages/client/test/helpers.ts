import type { Socket as NetSocket } from 'node:net';
import { createGateway, type Gateway, type GatewayOptions } from '@agent-gateway/server';
import { io as ioClient, type Socket } from 'socket.io-client';
import { afterEach } from 'vitest';
import type { ControlCommand, ControlData } from '@agent-gateway/schema';
import { createGatewayClient, type GatewayClient, type GatewayClientEvents, type GatewayClientOptions } from '../src/index.js';

export const CONTROL_TOKEN = 'control-secret';

/** What the test agent reads from the message text (JSON). */
export interface TurnSpec {
  chunks: number;
  /** Pause between chunks (ms). */
  delayMs?: number;
  /** Before chunk number `holdAt`, wait until the test opens `gate`. */
  holdAt?: number;
  gate?: string;
  /** Emit a tool call (start, update, result) before this chunk. */
  toolAt?: number;
  /** Emit only the terminal phase of a tool call before this chunk (its start never happens). */
  loneTerminalToolAt?: number;
  /** Throw (the run fails) before this chunk. */
  failAt?: number;
  /** Before this chunk, open a tool call (start, update) and hold it open until `gate` opens. */
  openToolAt?: number;
}

export function expectedText(spec: TurnSpec): string {
  return Array.from({ length: spec.chunks }, (_, i) => `c${i} `).join('');
}

interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
}
function deferred(): Deferred {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** Resolve when `until` settles or the run is aborted, whichever comes first. */
function untilOrAborted(until: Promise<void>, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const onAbort = () => resolve();
    signal.addEventListener('abort', onAbort, { once: true });
    void until.then(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    });
  });
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return untilOrAborted(new Promise((resolve) => setTimeout(resolve, ms)), signal);
}

type AgentOption = NonNullable<GatewayOptions['agent']>;

/** A deterministic agent whose pace and pauses the test controls. */
export class TestAgent {
  readonly name = 'test';
  private readonly gates = new Map<string, Deferred>();

  private gate(name: string): Deferred {
    let gate = this.gates.get(name);
    if (!gate) {
      gate = deferred();
      this.gates.set(name, gate);
    }
    return gate;
  }

  open(name: string): void {
    this.gate(name).resolve();
  }

  asAgent(): AgentOption {
    const self = this;
    return {
      name: this.name,
      async *run(turn) {
        const spec = JSON.parse(turn.text) as TurnSpec;
        for (let i = 0; i < spec.chunks; i++) {
          if (turn.signal.aborted) return;
          if (spec.holdAt === i && spec.gate) await untilOrAborted(self.gate(spec.gate).promise, turn.signal);
          if (turn.signal.aborted) return;
          if (spec.failAt === i) throw new Error('test agent failure');
          if (spec.toolAt === i) {
            const toolCallId = `${turn.runId}-tool`;
            yield { type: 'tool', toolCallId, toolName: 'lookup', phase: 'start', input: { i } };
            yield { type: 'tool', toolCallId, toolName: 'lookup', phase: 'update', progress: { half: true } };
            yield { type: 'tool', toolCallId, toolName: 'lookup', phase: 'result', output: { found: i } };
          }
          if (spec.openToolAt === i && spec.gate) {
            const toolCallId = `${turn.runId}-open`;
            yield { type: 'tool', toolCallId, toolName: 'slow', phase: 'start', input: { i } };
            yield { type: 'tool', toolCallId, toolName: 'slow', phase: 'update', progress: { started: true } };
            await untilOrAborted(self.gate(spec.gate).promise, turn.signal);
            if (turn.signal.aborted) return;
            yield { type: 'tool', toolCallId, toolName: 'slow', phase: 'result', output: { done: true } };
          }
          if (spec.loneTerminalToolAt === i) {
            yield { type: 'tool', toolCallId: `${turn.runId}-lone`, toolName: 'late', phase: 'end' };
          }
          yield { type: 'chunk', text: `c${i} ` };
          if (spec.delayMs) await pause(spec.delayMs, turn.signal);
        }
      },
    } as AgentOption;
  }
}

export interface Harness {
  /** The gateway now serving (a new one after `restart`). */
  readonly gateway: Gateway;
  agent: TestAgent;
  client(options?: Partial<GatewayClientOptions>): Promise<GatewayClient>;
  control(command: ControlCommand): Promise<ControlData>;
  /** The gateway-side socket of a client. */
  serverSocket(client: GatewayClient): import('socket.io').Socket;
  /**
   * The gateway process dies and a new one starts on the same port, as after a kill -9 and a
   * restart of an in-memory gateway: connections drop without a goodbye (nothing the old gateway
   * does while closing reaches a client), and the new gateway knows nothing of the old one's state.
   */
  restart(options?: Partial<GatewayOptions>): Promise<Gateway>;
  close(): Promise<void>;
}

/** The chat text that asks the test agent for `spec`'s turn. */
export function turnMessage(spec: TurnSpec): string {
  return JSON.stringify(spec);
}

/**
 * For a test file: a `startHarness` whose harness is closed after each test, whatever the test did.
 * Call once at module level.
 */
export function harnessPerTest(): (options?: Partial<GatewayOptions>) => Promise<Harness> {
  let current: Harness | undefined;
  afterEach(async () => {
    await current?.close();
    current = undefined;
  });
  return async (options) => (current = await startHarness(options));
}

export async function startHarness(options: Partial<GatewayOptions> = {}): Promise<Harness> {
  const agent = new TestAgent();
  const start = async (extra: Partial<GatewayOptions>): Promise<{ gateway: Gateway; connections: Set<NetSocket> }> => {
    const gateway = await createGateway({ logger: false, controlToken: CONTROL_TOKEN, agent: agent.asAgent(), ...options, ...extra });
    const connections = new Set<NetSocket>();
    gateway.httpServer.on('connection', (connection: NetSocket) => {
      connections.add(connection);
      connection.on('close', () => connections.delete(connection));
    });
    return { gateway, connections };
  };
  let current = await start({});
  const clients: GatewayClient[] = [];
  let controlSocket: Socket | undefined;
  return {
    get gateway() {
      return current.gateway;
    },
    agent,
    async client(extra = {}) {
      const client = createGatewayClient({ url: current.gateway.url, validateInbound: true, ...extra });
      clients.push(client);
      await client.connect();
      return client;
    },
    async control(command) {
      if (!controlSocket) {
        controlSocket = ioClient(current.gateway.url, { transports: ['websocket'], auth: { controlToken: CONTROL_TOKEN } });
      }
      const result = (await controlSocket.timeout(10_000).emitWithAck('control', command)) as
        { ok: true; data: ControlData } | { ok: false; error: { code: string; message: string } };
      if (!result.ok) throw new Error(`control ${command.type} failed: ${result.error.code} ${result.error.message}`);
      return result.data;
    },
    serverSocket(client) {
      const socket = current.gateway.io.sockets.sockets.get(client.socket.id ?? '');
      if (!socket) throw new Error('no gateway socket for this client');
      return socket as unknown as import('socket.io').Socket;
    },
    async restart(extra = {}) {
      const port = Number(new URL(current.gateway.url).port);
      for (const connection of current.connections) connection.destroy();
      await current.gateway.close();
      current = await start({ ...extra, port });
      return current.gateway;
    },
    async close() {
      await Promise.all(clients.map((c) => c.close()));
      controlSocket?.disconnect();
      await current.gateway.close();
    },
  };
}

/** Resolve on the first event of `name` matching `predicate`. Subscribes before the caller acts. */
export function nextEvent<K extends keyof GatewayClientEvents>(
  client: GatewayClient,
  name: K,
  predicate: (payload: GatewayClientEvents[K]) => boolean = () => true,
): Promise<GatewayClientEvents[K]> {
  return new Promise((resolve) => {
    const off = client.on(name, (payload) => {
      if (!predicate(payload)) return;
      off();
      resolve(payload);
    });
  });
}

/** Resolve once the client has applied `count` more chunk frames of a session (counted from the call). */
export function chunksSeen(client: GatewayClient, sessionId: string, count: number): Promise<void> {
  let seen = 0;
  return new Promise((resolve) => {
    const off = client.on('frame', ({ sessionId: id, event }) => {
      if (event.type !== 'stream.chunk' || id !== sessionId) return;
      if (++seen >= count) {
        off();
        resolve();
      }
    });
  });
}

/** Collect the reply text as the app would see it, checking the parts are chunks then one end. */
export async function readReply(reply: AsyncIterable<import('../src/index.js').ReplyPart>): Promise<{ text: string; status: string; parts: number }> {
  let text = '';
  let parts = 0;
  for await (const part of reply) {
    parts++;
    if (part.type === 'chunk') text += part.text;
    else return { text, status: part.status, parts };
  }
  throw new Error('reply ended without an end part');
}
