/*
 * The operator of the soak run: a direct connection (not through the chaos proxy) with the control
 * token that makes the gateway do what the public protocol cannot cause on demand: scripted runs with
 * chunk floods and tool calls in the stream sessions, pressure windows, system events and heartbeats,
 * log trims, held lanes, and now and then a session recreated under a new epoch.
 */
import { io, type Socket } from 'socket.io-client';
import type { Checker } from './checker.js';
import type { Rng } from './rng.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Ack = { ok: true; data: Record<string, unknown> } | { ok: false; error: { code: string; message: string } };

export function directSocket(url: string, auth: Record<string, unknown>): Promise<Socket> {
  const socket = io(url, { transports: ['websocket'], auth, forceNew: true, reconnection: false });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', reject);
  });
}

export async function ask(socket: Socket, event: string, params: unknown): Promise<Record<string, unknown>> {
  const answer = (await socket.timeout(30_000).emitWithAck(event, params)) as Ack;
  if (!answer.ok) throw new Error(`${event} ${JSON.stringify(params).slice(0, 120)}: ${answer.error.code} ${answer.error.message}`);
  return answer.data;
}

export interface OperatorOptions {
  chatSessions: string[];
  streamSessions: string[];
  /** The furthest seq any client has seen of a session (trims are aimed just below it). */
  headOf(sessionId: string): number;
  stopped(): boolean;
}

export class Operator {
  private tool = 0;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly held = new Set<string>();

  constructor(
    private readonly socket: Socket,
    private readonly rng: Rng,
    private readonly checker: Checker,
    private readonly options: OperatorOptions,
  ) {}

  private control(command: Record<string, unknown>): Promise<Record<string, unknown> | undefined> {
    this.checker.counts.add(`control ${String(command.type)}`);
    return ask(this.socket, 'control', command).catch((error: unknown) => {
      this.checker.violation('control-failed', String(error));
      return undefined;
    });
  }

  private later(ms: number, action: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      action();
    }, ms);
    this.timers.add(timer);
  }

  async run(): Promise<void> {
    // A window between a run's end and its internal cleanup, where a revived projection would show.
    await this.control({ type: 'cleanup.delay', ms: 150 });
    const { chatSessions, streamSessions } = this.options;
    while (!this.options.stopped()) {
      await sleep(this.rng.int(200, 900));
      if (this.options.stopped()) break;
      const roll = this.rng.next();
      if (roll < 0.25) await this.script(this.rng.pick(streamSessions));
      else if (roll < 0.37) await this.pressureWindow();
      else if (roll < 0.52) await this.control({ type: 'system.enqueue', sessionId: this.rng.pick(chatSessions), kind: 'command.finished', text: 'exit 0' });
      else if (roll < 0.62) await this.control({ type: 'heartbeat.trigger', sessionId: this.rng.pick(chatSessions) });
      else if (roll < 0.82) await this.trim(this.rng.pick([...chatSessions, ...streamSessions]));
      else if (roll < 0.88) await this.holdLane(this.rng.pick(chatSessions));
      else if (roll < 0.9) await this.control({ type: 'session.recreate', sessionId: this.rng.pick(streamSessions) });
      else await ask(this.socket, 'diagnostics.get', {}).catch(() => undefined);
    }
  }

  /** A run that streams a flood of chunks around two tool calls (one ends in error). */
  private async script(sessionId: string): Promise<void> {
    const a = `tool-${++this.tool}`;
    const b = `tool-${++this.tool}`;
    await this.control({
      type: 'run.script',
      sessionId,
      steps: [
        { type: 'chunks', count: this.rng.int(100, 1_500), text: 'tok ' },
        { type: 'tool', toolCallId: a, toolName: 'search', phase: 'start', input: { q: 'soak' } },
        { type: 'wait', ms: this.rng.int(0, 30) },
        { type: 'tool', toolCallId: a, toolName: 'search', phase: 'update', progress: { done: 1 } },
        { type: 'chunks', count: this.rng.int(10, 300), text: 'more ' },
        { type: 'tool', toolCallId: a, toolName: 'search', phase: 'result', output: { hits: 3 } },
        { type: 'tool', toolCallId: b, toolName: 'fetch', phase: 'start' },
        { type: 'tool', toolCallId: b, toolName: 'fetch', phase: 'error', error: { code: 'INTERNAL', message: 'unreachable' } },
      ],
    });
  }

  private async pressureWindow(): Promise<void> {
    const ms = this.rng.int(500, 3_000);
    await this.control({ type: 'pressure.set', simulated: true, backoffMs: ms });
    this.later(ms, () => void this.control({ type: 'pressure.set', simulated: false }));
  }

  private async trim(sessionId: string): Promise<void> {
    const head = this.options.headOf(sessionId);
    if (head < 2) return;
    await this.control({ type: 'session.trim', sessionId, oldestCursor: Math.max(1, head - this.rng.int(0, 100)) });
  }

  private async holdLane(sessionId: string): Promise<void> {
    if (this.held.has(sessionId)) return;
    this.held.add(sessionId);
    await this.control({ type: 'lane.hold', sessionId });
    this.later(this.rng.int(300, 2_000), () => {
      this.held.delete(sessionId);
      void this.control({ type: 'lane.release', sessionId });
    });
  }

  /** Stop: no pressure, no held lanes, nothing scheduled. */
  async calm(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    await this.control({ type: 'pressure.set', simulated: false });
    for (const sessionId of this.held) await this.control({ type: 'lane.release', sessionId });
    this.held.clear();
  }
}
