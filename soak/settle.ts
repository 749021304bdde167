/*
 * The quiet phase after the workload: every run ends, every typed reply ends, every client catches
 * up with the head of each session it follows, and the auditor takes one fresh snapshot per session
 * for the run-level checks. Whatever does not happen within its deadline is a violation.
 */
import type { Snapshot } from '@agent-gateway/schema';
import type { Socket } from 'socket.io-client';
import type { Checker } from './checker.js';
import { ask } from './operator.js';
import type { RawActor } from './raw-actor.js';
import type { TypedActor } from './typed-actor.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(deadlineMs: number, test: () => Promise<boolean> | boolean): Promise<boolean> {
  const deadline = Date.now() + deadlineMs;
  while (Date.now() < deadline) {
    if (await test()) return true;
    await sleep(200);
  }
  return test();
}

export interface SettleInput {
  auditor: Socket;
  checker: Checker;
  typed: TypedActor[];
  raw: RawActor[];
  sessions: string[];
}

export async function settle(input: SettleInput): Promise<{ snapshots: Map<string, Snapshot>; converged: Set<string> }> {
  const { auditor, checker } = input;
  const active = async () => {
    const data = await ask(auditor, 'sessions.list', { limit: 1000 });
    return (data.sessions as Array<{ sessionId: string; hasActiveRun: boolean; status: string; activeRunId: string | null; revision: number }>)
      .filter((row) => row.hasActiveRun)
      .map((row) => ({ sessionId: row.sessionId, status: row.status, activeRunId: row.activeRunId, revision: row.revision }));
  };
  // Lanes may hold a backlog of queued runs when the workload stops: wait while runs keep ending,
  // and call it stuck only when nothing changed for 30 s (or after 5 minutes in all).
  const deadline = Date.now() + 300_000;
  let signature = '';
  let changedAt = Date.now();
  for (;;) {
    const rows = await active();
    if (rows.length === 0) break;
    const now = JSON.stringify(rows);
    if (now !== signature) {
      signature = now;
      changedAt = Date.now();
    }
    if (Date.now() - changedAt > 30_000 || Date.now() > deadline) {
      checker.violation('runs-never-ended', `no run ended for 30 s after the workload; still active: ${now}`);
      break;
    }
    await sleep(250);
  }
  const ended = await Promise.all(input.typed.map((actor) => actor.settle(30_000)));
  input.typed.forEach((actor, i) => {
    if (!ended[i]) checker.violation('typed-reply-never-ended', `${actor.name}: a reply did not end within 30 s of the runs ending`);
  });
  // One fresh snapshot per session, taken now that nothing runs.
  const snapshots = new Map<string, Snapshot>();
  auditor.on('snapshot', (snapshot: Snapshot) => snapshots.set(snapshot.sessionId, snapshot));
  for (const sessionId of input.sessions) await ask(auditor, 'join', { sessionId });
  const converged = new Set<string>();
  const lagging = () => {
    const out: string[] = [];
    for (const actor of [...input.typed, ...input.raw]) {
      const behind = actor.sessions.filter((sessionId) => {
        const head = snapshots.get(sessionId)!;
        const position = actor.observer.position(sessionId);
        return !position || position.epoch !== head.epoch || position.seq < head.eventCursor;
      });
      if (behind.length === 0) converged.add(actor.name);
      else out.push(`${actor.name}: ${behind.join(', ')}`);
    }
    return out;
  };
  if (!(await until(30_000, () => lagging().length === 0))) {
    for (const detail of lagging()) checker.violation('client-not-caught-up', detail);
  }
  checker.counts.add('clients caught up with every session head', converged.size);
  return { snapshots, converged };
}
