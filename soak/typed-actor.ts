/*
 * A user of the typed client (@agent-gateway/client): follows a few sessions, sends chats (retrying
 * with the same idempotency key the way the client does across disconnects, and now and then sending
 * the same key again on purpose), reads every reply to its end, aborts some runs, lists sessions.
 * Everything its socket receives is tapped at the Manager, in arrival order, for the checker.
 */
import { createGatewayClient, isClientError, type GatewayClient } from '@agent-gateway/client';
import type { ClientObserver, Checker, WirePacket } from './checker.js';
import type { Rng } from './rng.js';
import type { RunChecks } from './run-checks.js';

export interface ActorContext {
  url: string;
  checker: Checker;
  runs: RunChecks;
  chatSessions: string[];
  streamSessions: string[];
  stopped: () => boolean;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class TypedActor {
  readonly observer: ClientObserver;
  readonly client: GatewayClient;
  readonly sessions: string[];
  private sent = 0;
  /** Keys the app sent again on purpose, and how often. */
  private readonly resent = new Map<string, number>();
  private readonly sessionOf = new Map<string, string>();
  private readonly started: Array<{ sessionId: string; runId: string }> = [];
  private readonly replies: Array<Promise<void>> = [];
  /** Applied seq per session, from the client's own `frame` events. */
  private readonly applied = new Map<string, { epoch: string; seq: number }>();

  constructor(
    readonly name: string,
    private readonly rng: Rng,
    private readonly ctx: ActorContext,
  ) {
    this.observer = ctx.checker.client(name);
    this.client = createGatewayClient({
      url: ctx.url,
      autoConnect: false,
      validateInbound: true,
      sendAttempts: 4,
      requestTimeoutMs: 10_000,
      socketOptions: { reconnectionDelay: 100, reconnectionDelayMax: 1_000 },
    });
    // Tap before the socket subscribes to its Manager, so the checker sees each packet first.
    this.client.socket.io.on('packet', (packet: WirePacket) => this.observer.incoming(packet));
    this.client.socket.onAnyOutgoing((event: string, params: unknown) => this.observer.outgoing(event, params));
    this.client.on('error', (error) => {
      if (error.code === 'INVALID_FRAME') ctx.checker.violation('invalid-frame', `${name}: ${error.message}`);
    });
    this.client.on('resync', ({ reason }) => ctx.checker.resyncs.add(`typed client rebuilt its view: ${reason}`));
    this.client.on('snapshot', ({ sessionId, snapshot }) => this.applied.set(sessionId, { epoch: snapshot.epoch, seq: snapshot.eventCursor }));
    this.client.on('frame', ({ sessionId, seq, event }) => {
      const last = this.applied.get(sessionId);
      const epoch = this.client.position(sessionId)?.epoch ?? '';
      if (last && last.epoch === epoch && seq <= last.seq)
        ctx.checker.violation('applied-twice', `${name}: ${sessionId} seq ${seq} (${event.type}) after ${last.seq}`);
      this.applied.set(sessionId, { epoch, seq });
    });
    this.sessions = [rng.pick(ctx.chatSessions), rng.pick(ctx.chatSessions), rng.pick(ctx.streamSessions)].filter((s, i, all) => all.indexOf(s) === i);
  }

  async run(): Promise<void> {
    // A connection cut again and again on a loaded machine may take a while to be greeted: keep trying.
    for (;;) {
      try {
        await this.client.connect(30_000);
        break;
      } catch (error) {
        this.ctx.runs.counts.add(`typed connect retried: ${isClientError(error) ? error.code : 'other'}`);
        if (this.ctx.stopped()) return;
      }
    }
    for (const sessionId of this.sessions) await this.client.join(sessionId);
    while (!this.ctx.stopped()) {
      await sleep(this.rng.int(300, 2_500));
      if (this.ctx.stopped()) break;
      const roll = this.rng.next();
      try {
        if (roll < 0.7) await this.send();
        else if (roll < 0.8) await this.sendAgain();
        else if (roll < 0.9) await this.abort();
        else await this.client.listSessions(50);
      } catch (error) {
        this.ctx.runs.counts.add(`typed request failed: ${isClientError(error) ? error.code : 'other'}`);
      }
    }
  }

  private chatSession(): string {
    const chats = this.sessions.filter((s) => this.ctx.chatSessions.includes(s));
    return this.rng.pick(chats.length > 0 ? chats : this.sessions);
  }

  private async send(key = `${this.name}-k${++this.sent}`, sessionId = this.chatSession(), again = false): Promise<void> {
    const text = `soak message ${key}: please count these words`;
    this.ctx.runs.sendAttempted(sessionId, key, text);
    if (again) this.resent.set(key, (this.resent.get(key) ?? 0) + 1);
    this.sessionOf.set(key, sessionId);
    const sent = await this.client.send(sessionId, text, { idempotencyKey: key });
    this.ctx.runs.sendAcknowledged(sessionId, key, sent.runId, sent.duplicate);
    // A first send may be answered as a duplicate too: the client retried it after a lost answer.
    if (again) return;
    this.started.push({ sessionId, runId: sent.runId });
    const reply = sent.reply;
    const resyncsAtSend = this.client.stats.resyncs;
    this.replies.push(
      reply.finished().then(
        (end) => {
          // What the client held when the reply ended: evidence for a reply that differs from the response.
          const answer = this.client
            .conversation(sessionId)
            .list()
            .find((m) => m.runId === sent.runId && m.role === 'assistant');
          const context = [
            `first answer duplicate: ${sent.duplicate}`,
            `same key sent again by the app before the end: ${this.resent.get(key) ?? 0}`,
            `resyncs during the run: ${this.client.stats.resyncs - resyncsAtSend}`,
            `conversation had the answer when the reply ended: ${answer !== undefined}`,
          ].join('; ');
          this.ctx.runs.replyEnded({ client: this.name, sessionId, runId: sent.runId, status: end.status, text: end.text, context });
        },
        (error: unknown) => this.ctx.runs.counts.add(`typed reply failed: ${isClientError(error) ? error.code : 'other'}`),
      ),
    );
  }

  /** The same key again, as an app retrying after an unanswered send would: no new run may start. */
  private async sendAgain(): Promise<void> {
    if (this.sent === 0) return this.send();
    const n = this.rng.int(1, this.sent);
    const key = `${this.name}-k${n}`;
    await this.send(key, this.sessionOf.get(key) ?? this.chatSession(), true);
  }

  private async abort(): Promise<void> {
    const target = this.started.at(-1);
    if (!target) return;
    const answer = await this.client.abort(target.sessionId, target.runId);
    this.ctx.runs.counts.add(answer.aborted ? 'aborts that stopped a run' : `aborts answered as no-op (${answer.status})`);
  }

  /** Wait until every reply this client asked for has ended. */
  async settle(timeoutMs: number): Promise<boolean> {
    const all = Promise.all(this.replies).then(() => true);
    return Promise.race([all, sleep(timeoutMs).then(() => false)]);
  }

  async close(): Promise<void> {
    // Card check: once every run ended, no tool card may be left open.
    for (const { sessionId, runId } of this.started) {
      for (const card of this.client.tools.cards(sessionId, runId)) {
        if (!card.closed) this.ctx.checker.violation('typed-tool-card-open', `${this.name}: ${sessionId}/${runId}/${card.toolCallId}`);
      }
    }
    await this.client.close();
  }
}
