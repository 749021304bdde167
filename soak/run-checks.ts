/*
 * Run-level invariants of the soak run, over what every client observed and a final audit of every
 * session (a fresh snapshot taken once the run is quiet):
 * - every acknowledged chat.send produced exactly one run (all its acknowledgements name one run id,
 *   and the conversation holds its user message exactly once);
 * - every tool call a client saw start reached a terminal phase on that client (or the client was
 *   resynced by a snapshot that no longer shows the call's run active, counted apart);
 * - every reply the typed client assembled equals the gateway's final response text;
 * - with several gateway nodes, a run is ended by another node (failed, UNAVAILABLE, naming the node
 *   that ran it) only when that node was killed: such a run is an expected failure, counted, and its
 *   end does not excuse anything else (a tool call it left open is reported under its own kind).
 */
import type { EventFrame, Snapshot, ToolFrame } from '@agent-gateway/schema';
import type { Checker } from './checker.js';
import { Counter } from './counter.js';

interface SentKey {
  sessionId: string;
  key: string;
  text: string;
  runIds: Set<string>;
  acks: number;
}

interface Reply {
  client: string;
  sessionId: string;
  runId: string;
  status: string;
  text: string;
  /** What the client held when the reply ended. */
  context: string;
}

export class RunChecks {
  readonly counts = new Counter();
  private checker: Checker | undefined;
  private readonly keys = new Map<string, SentKey>();
  /** client -> call key -> open (start seen, no terminal yet) */
  private readonly toolCalls = new Map<string, Map<string, boolean>>();
  private readonly replies: Reply[] = [];
  /** How each run ended, from the run.end frames any client saw. */
  private readonly runEnds = new Map<string, string>();
  /** Runs ended by another node because theirs stopped: run id -> the stopped node, when first seen. */
  readonly takenOver = new Map<string, { node: string; seenAt: number }>();
  /** Nodes the run killed, and when. */
  private readonly killed = new Map<string, number>();

  attach(checker: Checker): void {
    this.checker = checker;
  }

  private violation(kind: string, detail: string): void {
    this.checker?.violation(kind, detail);
  }

  /** A chat.send about to go out (first attempt or retry with the same key). */
  sendAttempted(sessionId: string, key: string, text: string): void {
    const id = `${sessionId}\u0000${key}`;
    if (!this.keys.has(id)) this.keys.set(id, { sessionId, key, text, runIds: new Set(), acks: 0 });
    this.counts.add('chat.send attempts');
  }

  sendAcknowledged(sessionId: string, key: string, runId: string, duplicate: boolean): void {
    const entry = this.keys.get(`${sessionId}\u0000${key}`);
    if (!entry) return this.violation('ack-for-unsent-key', `${sessionId}/${key}`);
    entry.acks += 1;
    entry.runIds.add(runId);
    this.counts.add(duplicate ? 'chat.send answered duplicate' : 'chat.send answered new run');
    if (entry.runIds.size > 1) this.violation('two-runs-for-one-key', `${sessionId}/${key}: ${[...entry.runIds].join(', ')}`);
  }

  /** The run SIGKILLed a node: its runs may now end as failed by another node's takeover. */
  nodeKilled(nodeId: string, at = Date.now()): void {
    this.killed.set(nodeId, at);
  }

  frame(client: string, frame: EventFrame | ToolFrame): void {
    const event = frame.event;
    if (event.type === 'run.end') {
      this.runEnds.set(event.runId, event.status);
      const node = event.status === 'failed' && event.error?.code === 'UNAVAILABLE' ? stoppedNode(event.error.message) : undefined;
      if (node !== undefined && !this.takenOver.has(event.runId)) {
        this.takenOver.set(event.runId, { node, seenAt: Date.now() });
        const killedAt = this.killed.get(node);
        if (killedAt === undefined) this.violation('run-taken-over-from-live-node', `${frame.sessionId}/${event.runId}: ${event.error!.message}`);
        else this.counts.add('runs ended as failed by a takeover after their node was killed');
      }
    }
    if (event.type !== 'tool') return;
    let calls = this.toolCalls.get(client);
    if (!calls) this.toolCalls.set(client, (calls = new Map()));
    const id = `${frame.sessionId}\u0000${event.runId}\u0000${event.toolCallId}`;
    if (event.phase === 'start') {
      if (!calls.has(id)) calls.set(id, true);
      this.counts.add('tool calls seen starting');
    } else if (event.phase === 'end' || event.phase === 'error' || event.phase === 'result') {
      if (calls.get(id) === true) this.counts.add('tool calls seen closing');
      calls.set(id, false);
    }
  }

  /** A snapshot settles calls of runs it no longer shows active (the client was resynced). */
  snapshot(client: string, snapshot: Snapshot): void {
    const calls = this.toolCalls.get(client);
    if (!calls) return;
    const prefix = `${snapshot.sessionId}\u0000`;
    for (const [id, open] of calls) {
      if (!open || !id.startsWith(prefix)) continue;
      const [, runId, toolCallId] = id.split('\u0000') as [string, string, string];
      const active = snapshot.activeRun?.runId === runId ? snapshot.activeRun : undefined;
      const call = active?.tools.find((t) => t.toolCallId === toolCallId);
      if (!active || (call && call.phase !== 'start' && call.phase !== 'update')) {
        calls.set(id, false);
        this.counts.add('tool calls closed by a resync snapshot');
      }
    }
  }

  replyEnded(reply: Reply): void {
    this.replies.push(reply);
    this.counts.add(`typed replies ended ${reply.status}`);
  }

  /** Final checks against the audit: one fresh snapshot per session, taken once everything is quiet. */
  finish(audit: ReadonlyMap<string, Snapshot>, auditedClients: ReadonlySet<string>): void {
    const responses = new Map<string, string>();
    const userMessages = new Map<string, { count: number; runIds: Set<string> }>();
    for (const snapshot of audit.values()) {
      for (const message of snapshot.messages) {
        if (message.role === 'assistant' && message.runId) responses.set(message.runId, message.text);
        if (message.role === 'user') {
          const id = `${snapshot.sessionId}\u0000${message.text}`;
          const entry = userMessages.get(id) ?? { count: 0, runIds: new Set<string>() };
          entry.count += 1;
          if (message.runId) entry.runIds.add(message.runId);
          userMessages.set(id, entry);
        }
      }
    }
    for (const entry of this.keys.values()) {
      if (!audit.has(entry.sessionId)) continue;
      const found = userMessages.get(`${entry.sessionId}\u0000${entry.text}`);
      const count = found?.count ?? 0;
      if (entry.acks > 0) {
        this.counts.add('acknowledged keys');
        if (count !== 1) this.violation('acknowledged-send-not-one-run', `${entry.sessionId}/${entry.key}: ${count} user messages`);
        else if (!entry.runIds.has([...found!.runIds][0]!))
          this.violation(
            'acknowledged-run-not-logged',
            `${entry.sessionId}/${entry.key}: logged ${[...found!.runIds].join()} acknowledged ${[...entry.runIds].join()}`,
          );
      } else {
        this.counts.add(count === 0 ? 'unacknowledged keys without a run' : 'unacknowledged keys that started a run');
        if (count > 1) this.violation('one-key-two-runs', `${entry.sessionId}/${entry.key}: ${count} user messages`);
      }
    }
    for (const [client, calls] of this.toolCalls) {
      if (!auditedClients.has(client)) continue;
      for (const [id, open] of calls) {
        if (!open) continue;
        const runId = id.split('\u0000')[1]!;
        const ended = this.runEnds.get(runId);
        // A run that ended while a call was open (aborted, failed) closes it by its end only. A run
        // whose node was killed is ended by another node: a call it left open is told apart.
        const kind = this.takenOver.has(runId)
          ? 'tool-call-open-at-orphaned-run-end'
          : ended && ended !== 'completed'
            ? 'tool-call-open-at-run-end'
            : 'tool-call-left-open';
        this.violation(kind, `${client}: ${id.replaceAll('\u0000', '/')} (run ${ended ?? 'end not seen'})`);
      }
    }
    for (const reply of this.replies) {
      if (reply.status !== 'completed') continue;
      const response = responses.get(reply.runId);
      if (response === undefined) this.counts.add('completed replies whose response left the conversation');
      else if (response !== reply.text)
        this.violation(
          'reply-differs-from-response',
          `${reply.client} ${reply.sessionId}/${reply.runId}: ${JSON.stringify(reply.text.slice(0, 40))} vs ${JSON.stringify(response.slice(0, 40))} (${reply.context})`,
        );
      else this.counts.add('typed replies equal to the response');
    }
  }
}

/**
 * The node named by the error of a run that another node ended because its own stopped ("The gateway
 * running this run (<node>) stopped before it ended; …", the Redis engine's orphan sweep).
 */
export function stoppedNode(message: string): string | undefined {
  return /^The gateway running this run \((.+?)\) stopped before it ended/.exec(message)?.[1];
}
