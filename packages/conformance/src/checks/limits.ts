import type { ScriptStep, SessionsChanged } from '@agent-gateway/schema';
import { verifies, walk, walkAbsent, type Check } from '../check.js';
import type { CheckContext } from '../context.js';
import { expect, expectError, expectOk } from '../harness/assert.js';
import type { Connection } from '../harness/connection.js';
import { CheckFailure } from '../harness/errors.js';
import { judgeSequence } from '../harness/sequence.js';
import { joinOk } from '../harness/session.js';
import { followSessionList, listFollower, runEndIn, scriptRun, seededSession, toolStep } from './helpers.js';
import { slowConsumerError, waitRunEndBroadcast } from './slow-consumer.js';

const MIB = 1024 * 1024;
/** Above this the flood it takes to pass the bound is too large for one check's budget. */
const LARGEST_TESTABLE_BOUND = 64 * MIB;
/**
 * What TCP buffers between the gateway and the suite may absorb before the gateway holds anything:
 * the flood is the bound plus this.
 */
const TRANSPORT_SLACK = 12 * MIB;
/**
 * Chunk frames are large on the wire and small in the log: each weighs about 180 bytes whatever
 * its one character of text, and only the stream's end (with the text) stays durable, so the flood
 * passes the bound without the log outgrowing its retention.
 */
const WIRE_BYTES_PER_CHUNK = 180;
const MAX_CHUNKS_PER_STEP = 100_000;

function floodSteps(wireBytes: number): ScriptStep[] {
  const steps: ScriptStep[] = [];
  for (let left = Math.ceil(wireBytes / WIRE_BYTES_PER_CHUNK); left > 0; left -= MAX_CHUNKS_PER_STEP) {
    steps.push({ type: 'chunks', count: Math.min(left, MAX_CHUNKS_PER_STEP), text: 'x' });
  }
  return steps;
}

/**
 * R6.4 bounds a gateway advertises in `hello.limits` (since 1.1; a gateway that does not advertise
 * one is not judged on it, and the check skips):
 * - `maxPendingBytes`: pending output of one socket above which it is disconnected (SLOW_CONSUMER);
 * - `maxSessionsPerPrincipal`, `maxConnectionsPerPrincipal`: per-principal bounds (LIMIT_EXCEEDED);
 * - `sessionIdleMs`: how long an idle session stays loaded.
 */
export type ProposedLimit = 'maxPendingBytes' | 'maxSessionsPerPrincipal' | 'maxConnectionsPerPrincipal' | 'sessionIdleMs';

function advertised(ctx: CheckContext, limit: ProposedLimit): number {
  const value = (ctx.hello.limits as Record<string, unknown>)[limit];
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) ctx.skip(`the gateway does not advertise hello.limits.${limit}`);
  return value;
}

function limitsConnection(ctx: CheckContext, name: string): Connection {
  return ctx.connection(name, { token: ctx.config.limitsToken! });
}

const LIMIT_EXCEEDED = 'LIMIT_EXCEEDED';

export const limitChecks: Check[] = [
  verifies('R6.4', {
    id: 'limits.slow-consumer-disconnected',
    title:
      'a socket that stops reading while its session streams loses only non-terminal mirrors, then once it owes more than hello.limits.maxPendingBytes gets protocol.error SLOW_CONSUMER and is closed; it resumes by cursor to the head',
    requires: ['control:run.script'],
    covers: ['R6.4#slow-consumer'],
    timeoutFactor: 6,
    walks: [
      walk('event:protocol.error', 'conn:slow'),
      walk('event:session.tool', 'run:running', 'conn:slow'),
      walk('event:replay', 'run:finished', 'conn:plain'),
    ],
    run: async (ctx) => {
      const bound = advertised(ctx, 'maxPendingBytes');
      if (bound > LARGEST_TESTABLE_BOUND)
        ctx.skip(`hello.limits.maxPendingBytes ${bound} is above the ${LARGEST_TESTABLE_BOUND / MIB} MiB this check streams past`);
      const sessionId = ctx.sessionId('flood');
      const slow = await ctx.client('slow');
      const joined = await joinOk(slow, { sessionId });
      slow.pauseReading();

      // A tool call opens, then the session streams more than the bound plus what the network
      // between may absorb, then the call ends. A list subscriber learns when the run is over.
      const listener = await listFollower(ctx);
      const runId = await scriptRun(ctx, sessionId, [
        toolStep('bound', 'start'),
        toolStep('bound', 'update'),
        ...floodSteps(bound + TRANSPORT_SLACK),
        toolStep('bound', 'update'),
        toolStep('bound', 'result'),
      ]);
      await waitRunEndBroadcast(listener, sessionId, runId);
      const head = await ctx.headOf(sessionId);

      // Reading again: what was on its way, then the reason, then the close.
      slow.resumeReading();
      await slow.waitUntil('the close of the slow consumer', () => (slow.disconnectReason !== undefined ? true : undefined), { allowDisconnected: true });
      const events = slow.packets.filter((p) => p.kind === 'event');
      const last = events.at(-1);
      const stated = slowConsumerError(slow);
      expect(
        stated !== undefined && last?.payload === stated,
        `the slow consumer was closed (${slow.disconnectReason}) without stating why`,
        'protocol.error { code: SLOW_CONSUMER } as the last event before the gateway closes the connection',
        events.slice(-3).map((p) => p.event),
      );
      expect(
        slow.disconnectReason === 'io server disconnect' || slow.disconnectReason === 'transport close',
        'the connection was not closed by the gateway',
        'disconnect reason "io server disconnect" (or the transport closed by the gateway)',
        slow.disconnectReason,
      );
      const before = slow.frames(sessionId);
      const verdict = judgeSequence(before, joined.joined.cursor, { epoch: joined.joined.epoch, allowSkips: ['suppressed'] });
      expect(
        verdict.ok,
        'before the close the slow consumer lost more than non-terminal mirrors',
        'gapless up to the close, suppressed mirrors only',
        verdict.problems.slice(0, 10),
      );

      // Nothing is lost: from the last seq it saw, a new connection resumes to the head (a replay
      // through the run's end when the log still holds it, otherwise one snapshot).
      const resumed = await ctx.client('resumed');
      const outcome = await joinOk(resumed, { sessionId, since: verdict.lastSeq, epoch: joined.joined.epoch });
      expect(outcome.joined.cursor >= head.cursor, 'the resume does not reach the end of the run', `cursor >= ${head.cursor}`, outcome.joined);
      if (outcome.joined.resyncRequired) {
        expect(outcome.snapshots.length === 1, 'a resync after the close came without its snapshot', 'one snapshot', outcome.snapshots.length);
        ctx.note('the resume after the close was a resync with a snapshot (the log no longer held what the consumer missed)');
      } else {
        expect(
          runEndIn(outcome.replayed, runId),
          'the replay after the close stops short of the run end',
          `run.end of ${runId} replayed`,
          outcome.replayed.at(-1)?.frame,
        );
      }
    },
  }),
  verifies(['R6.4', 'R1.7'], {
    id: 'limits.sessions-per-principal',
    title: 'a principal that reaches hello.limits.maxSessionsPerPrincipal gets LIMIT_EXCEEDED for a new session, which is created nowhere',
    requires: ['feature:limits-token'],
    covers: ['R6.4#principal-bounds'],
    timeoutFactor: 3,
    walks: [walk('request:join', 'session:fresh', 'conn:plain'), walkAbsent('event:sessions.changed', 'session:fresh')],
    run: async (ctx) => {
      const bound = advertised(ctx, 'maxSessionsPerPrincipal');
      if (bound > 5_000) ctx.skip(`hello.limits.maxSessionsPerPrincipal ${bound} is above the 5000 sessions this check creates`);
      const conn = limitsConnection(ctx, 'principal');
      await conn.open();
      await followSessionList(conn);
      let refusedId: string | undefined;
      // Earlier runs may already have used part of this principal's budget: refusal may come early.
      for (let i = 0; i <= bound && refusedId === undefined; i++) {
        const sessionId = ctx.sessionId(`bound-${i}`);
        const answer = await conn.requestRaw('join', { sessionId });
        const result = answer.payload as { ok: boolean; error?: { code: string } };
        if (!result.ok) {
          expectError(result, LIMIT_EXCEEDED, `join of session ${i + 1} over the per-principal bound`);
          refusedId = sessionId;
        }
      }
      if (refusedId === undefined)
        throw new CheckFailure(`${bound + 1} sessions were created for one principal`, [`LIMIT_EXCEEDED by session ${bound + 1}`], bound + 1);
      const listed = expectOk(await conn.request('sessions.list', { limit: 1000 }), 'sessions.list');
      expect(!listed.sessions.some((r) => r.sessionId === refusedId), 'the refused session is listed', 'no row for the refused session', refusedId, ['R1.7']);
      const changed = conn.packets.filter((p) => p.event === 'sessions.changed' && (p.payload as SessionsChanged).sessionId === refusedId);
      expect(changed.length === 0, 'the refused session was broadcast', 'no sessions.changed for it', changed.length, ['R1.7']);
      await conn.barrier();
    },
  }),
  verifies('R6.4', {
    id: 'limits.connections-per-principal',
    title: 'connections beyond hello.limits.maxConnectionsPerPrincipal are refused with LIMIT_EXCEEDED; closing one lets a new one in',
    requires: ['feature:limits-token'],
    covers: ['R6.4#principal-bounds'],
    run: async (ctx) => {
      const bound = advertised(ctx, 'maxConnectionsPerPrincipal');
      if (bound > 200) ctx.skip(`hello.limits.maxConnectionsPerPrincipal ${bound} is above the 200 connections this check opens`);
      const open: Connection[] = [];
      let refused: Connection | undefined;
      for (let i = 0; i <= bound && !refused; i++) {
        const conn = limitsConnection(ctx, `c${i}`);
        const outcome = await conn.openExpectingRefusal();
        if (outcome.refused) {
          const data = outcome.refusal.data as { code?: string } | undefined;
          expect(
            outcome.refusal.message === LIMIT_EXCEEDED || data?.code === LIMIT_EXCEEDED,
            'a connection over the bound was refused without LIMIT_EXCEEDED',
            'connect_error LIMIT_EXCEEDED',
            outcome.refusal,
          );
          refused = conn;
        } else open.push(conn);
      }
      if (!refused)
        throw new CheckFailure(`${bound + 1} connections of one principal were accepted`, [`LIMIT_EXCEEDED by connection ${bound + 1}`], open.length);
      open.pop()?.close();
      const again = limitsConnection(ctx, 'after-close');
      // The gateway learns of the close asynchronously: wait for the new connection's answer.
      const outcome = await again.openExpectingRefusal();
      if (outcome.refused) ctx.note('a connection right after a close was still refused; the gateway frees slots late');
    },
  }),
  verifies('R6.4', {
    id: 'limits.idle-session-unloaded',
    title: 'a session idle for hello.limits.sessionIdleMs is unloaded, and a client resuming it gets a complete replay or a resync, never a partial replay',
    requires: ['control:session.append'],
    covers: ['R6.4#idle-unload'],
    timeoutFactor: 3,
    walks: [walk('request:join', 'session:existing', 'conn:plain')],
    run: async (ctx) => {
      const idleMs = advertised(ctx, 'sessionIdleMs');
      if (idleMs * 2 > ctx.budgetMs) ctx.skip(`hello.limits.sessionIdleMs ${idleMs} does not fit twice in the check's time budget`);
      const probe = await ctx.client('probe');
      const count = async () => expectOk(await probe.request('diagnostics.get', {}), 'diagnostics.get').sessions;
      const seeded = await seededSession(ctx, 4);
      const loaded = await count();
      const deadline = Date.now() + idleMs * 2;
      let unloaded = false;
      while (!unloaded && Date.now() < deadline) {
        // Polling diagnostics is the only observation over the wire; the wait is the gateway's own bound.
        await new Promise((resolve) => setTimeout(resolve, Math.max(50, idleMs / 10)));
        unloaded = (await count()) < loaded;
      }
      expect(unloaded, `no session was unloaded within twice sessionIdleMs (${idleMs} ms)`, 'diagnostics.sessions drops', loaded);
      const conn = await ctx.client('resumer');
      const outcome = await joinOk(conn, { sessionId: seeded.sessionId, since: 2, epoch: seeded.epoch });
      if (outcome.joined.resyncRequired) {
        expect(
          outcome.snapshots.length === 1 && outcome.replayed.length === 0,
          'the resync after unloading is not one snapshot',
          'one snapshot, no replay',
          outcome.replayed.length,
        );
      } else {
        const verdict = judgeSequence(outcome.replayed, 2, { epoch: seeded.epoch, allowSkips: [] });
        expect(verdict.ok && verdict.lastSeq === seeded.cursor, 'the replay after unloading is partial', `seqs 3..${seeded.cursor}`, verdict.problems);
      }
    },
  }),
  verifies('R6.4', {
    id: 'limits.foreign-origin-refused',
    title: 'a handshake from a browser origin outside the allowlist is refused and gets nothing; one without an Origin is served',
    requires: ['feature:foreign-origin'],
    covers: ['R6.4#origins'],
    run: async (ctx) => {
      const conn = ctx.connection('foreign', { headers: { Origin: ctx.config.foreignOrigin! } });
      const outcome = await conn.openExpectingRefusal();
      if (!outcome.refused) throw new CheckFailure(`a handshake from origin ${ctx.config.foreignOrigin} was accepted`, ['a refused handshake'], outcome.hello);
      expect(
        conn.packets.length === 0,
        'the refused origin received events',
        'nothing',
        conn.packets.map((p) => p.event),
      );
      await ctx.client('no-origin');
    },
  }),
];
