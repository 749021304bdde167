/*
 * A client on plain socket.io-client that speaks the protocol itself and misbehaves on purpose: on
 * every (re)connection it rejoins each session with a cursor chosen at random — a correct resume, a
 * stale one, one from the future, one of another epoch, or none — and it sends chat.send with keys
 * shared with other raw clients (concurrent retries of one message), retries unanswered sends with
 * the same key, aborts runs (finished ones too) and lists sessions.
 */
import { io, type Socket } from 'socket.io-client';
import type { ClientObserver, JoinIntent, WirePacket } from './checker.js';
import type { Rng } from './rng.js';
import type { ActorContext } from './typed-actor.js';

interface SharedKey {
  sessionId: string;
  key: string;
  text: string;
}

/** Keys several raw clients send at once: one message retried from several places. */
const sharedKeys: SharedKey[] = [];
let sharedCounter = 0;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Ack = { ok: true; data: Record<string, unknown> } | { ok: false; error: { code: string } };

export class RawActor {
  readonly observer: ClientObserver;
  readonly socket: Socket;
  readonly sessions: string[];
  private readonly intents = new Map<string, JoinIntent>();
  private readonly runIds: Array<{ sessionId: string; runId: string }> = [];
  private readonly unanswered: SharedKey[] = [];

  constructor(
    readonly name: string,
    private readonly rng: Rng,
    private readonly ctx: ActorContext,
  ) {
    this.observer = ctx.checker.client(name);
    this.socket = io(ctx.url, { transports: ['websocket'], autoConnect: false, reconnectionDelay: 100, reconnectionDelayMax: 1_000, forceNew: true });
    this.socket.io.on('packet', (packet: WirePacket) => this.observer.incoming(packet));
    this.socket.onAnyOutgoing((event: string, params: { sessionId?: string }) => {
      this.observer.outgoing(event, params, event === 'join' ? (this.intents.get(params.sessionId ?? '') ?? 'fresh') : 'typed');
    });
    this.socket.on('connect', () => {
      for (const sessionId of this.sessions) this.join(sessionId);
    });
    const chats = ctx.chatSessions;
    this.sessions = [rng.pick(chats), rng.pick(chats), rng.pick(ctx.streamSessions)].filter((s, i, all) => all.indexOf(s) === i);
  }

  private join(sessionId: string): void {
    const position = this.observer.position(sessionId);
    const roll = this.rng.next();
    let intent: JoinIntent = 'fresh';
    let params: Record<string, unknown> = { sessionId };
    if (position && roll < 0.6) {
      intent = 'resume';
      params = { sessionId, since: position.seq, epoch: position.epoch };
    } else if (position && roll < 0.7) {
      intent = 'stale';
      params = { sessionId, since: Math.max(0, position.seq - this.rng.int(1, this.rng.chance(0.5) ? 50 : 2_000)), epoch: position.epoch };
    } else if (position && roll < 0.8) {
      intent = 'future';
      params = { sessionId, since: position.seq + this.rng.int(1, 1_000), epoch: position.epoch };
    } else if (roll < 0.9) {
      intent = 'wrong-epoch';
      params = { sessionId, since: position?.seq ?? this.rng.int(0, 10), epoch: 'epoch-of-another-life' };
    }
    this.intents.set(sessionId, intent);
    this.socket.emit('join', params, () => undefined);
  }

  private request(event: string, params: unknown): Promise<Ack | undefined> {
    if (!this.socket.connected) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      this.socket.timeout(10_000).emit(event, params, (error: Error | null, answer: Ack) => resolve(error ? undefined : answer));
    });
  }

  async run(): Promise<void> {
    this.socket.connect();
    while (!this.ctx.stopped()) {
      await sleep(this.rng.int(300, 2_500));
      if (this.ctx.stopped() || !this.socket.connected) continue;
      const roll = this.rng.next();
      if (roll < 0.6) await this.send();
      else if (roll < 0.75) await this.abort();
      else await this.request('sessions.list', { limit: 50 });
    }
  }

  private async send(): Promise<void> {
    let message: SharedKey;
    if (this.unanswered.length > 0 && this.rng.chance(0.5)) message = this.unanswered.shift()!;
    else if (sharedKeys.length > 0 && this.rng.chance(0.4)) message = this.rng.pick(sharedKeys.slice(-20));
    else {
      const chats = this.sessions.filter((s) => this.ctx.chatSessions.includes(s));
      const key = `shared-${++sharedCounter}`;
      message = { sessionId: this.rng.pick(chats.length > 0 ? chats : this.sessions), key, text: `soak message ${key}: please count these words` };
      sharedKeys.push(message);
    }
    this.ctx.runs.sendAttempted(message.sessionId, message.key, message.text);
    const answer = await this.request('chat.send', { sessionId: message.sessionId, text: message.text, idempotencyKey: message.key });
    if (!answer) {
      this.unanswered.push(message);
      this.ctx.runs.counts.add('raw chat.send unanswered (retried later)');
      return;
    }
    if (!answer.ok) return this.ctx.runs.counts.add(`raw chat.send refused: ${answer.error.code}`);
    const data = answer.data as { runId: string; duplicate: boolean };
    this.ctx.runs.sendAcknowledged(message.sessionId, message.key, data.runId, data.duplicate);
    this.runIds.push({ sessionId: message.sessionId, runId: data.runId });
  }

  private async abort(): Promise<void> {
    if (this.runIds.length === 0) return;
    const target = this.rng.pick(this.runIds.slice(-10));
    const answer = await this.request('chat.abort', target);
    if (!answer) return;
    if (!answer.ok) {
      this.ctx.checker.violation('abort-refused', `${this.name}: ${target.sessionId}/${target.runId}: ${answer.error.code}`);
      return;
    }
    const data = answer.data as { aborted: boolean; status: string };
    this.ctx.runs.counts.add(data.aborted ? 'aborts that stopped a run' : `aborts answered as no-op (${data.status})`);
  }

  close(): void {
    this.socket.io.reconnection(false);
    this.socket.disconnect();
  }
}
