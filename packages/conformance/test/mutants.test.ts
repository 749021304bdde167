import type { MutantName } from '@agent-gateway/server/testing';
import { describe, expect, it } from 'vitest';
import { failingIds, referenceBaseline, runAgainst, startReference } from './helpers/gateway.js';

/**
 * One deliberately broken reference gateway per mutant (`@agent-gateway/server/testing`). For each, the exact set of checks that must
 * fail (beyond the reference baseline): the named catchers of the bug, plus checks that fail as a
 * consequence (a chunk frame without seq violates the schema in every check that streams).
 */
const MUTANTS: Record<MutantName, string[]> = {
  resyncAtOldestMinusOne: ['replay.long-complete-no-skip', 'replay.since-zero-without-epoch', 'resume.since-oldest-minus-one', 'session.recreate-new-epoch'],
  replayNothingWhenAhead: ['resume.since-ahead'],
  partialReplayWhenTooOld: ['resume.since-oldest-minus-two'],
  omitSeqOnChunks: [
    'limits.slow-consumer-disconnected',
    'frames.seq-epoch-on-every-frame',
    'frames.seq-on-replayed-chunks',
    'heartbeat.busy-run-not-interrupted',
    'leave.run-scoped-stops-frames',
    'leave.stops-frames',
    'mirrors.slow-consumer-keeps-terminal',
    'resume.join-during-stream-fresh',
    'resume.join-during-stream-since',
    'retention.chunk-flood-keeps-durable',
    'retention.stream-end-carries-text',
    'runs.abort-finished-noop',
    'runs.abort-running',
    'runs.idempotency-key-per-session',
    'runs.idempotent-chat-send',
    'runs.other-session-run-not-found',
    'runs.queued-behind-running',
    'schema.long-reply-valid',
    'session.recreate-new-epoch',
    'sessions.changed-broadcast',
    'sessions.run-end-before-terminal-broadcast',
    'sessions.terminal-list-not-active',
    'snapshot.active-run',
    'snapshot.after-chat-run',
    'snapshot.after-scripted-run',
    'snapshot.queued-run',
  ],
  dropTerminalMirrorsUnderPressure: ['diagnostics.pressure-observable', 'pressure.suppression-announced', 'pressure.terminal-mirrors-delivered'],
  reviveActiveRunAfterTerminal: ['sessions.terminal-list-not-active'],
  heartbeatInterruptsBusyLane: [
    'heartbeat.busy-lane-session-busy',
    'heartbeat.busy-retried',
    'heartbeat.busy-run-not-interrupted',
    'heartbeat.outcomes-observable',
    'heartbeat.system-events-kept-while-busy',
  ],
  heartbeatGlobalSkipReason: [
    'heartbeat.busy-lane-session-busy',
    'heartbeat.busy-retried',
    'heartbeat.busy-run-not-interrupted',
    'heartbeat.outcomes-observable',
    'heartbeat.system-events-kept-while-busy',
  ],
  durableAnnouncedAsCompacted: [
    'frames.seq-on-replayed-chunks',
    'replay.long-complete-no-skip',
    'replay.since-zero-without-epoch',
    'resume.join-during-stream-since',
    'resume.since-oldest',
    'resume.since-oldest-minus-one',
    'retention.chunk-flood-keeps-durable',
    'session.recreate-new-epoch',
  ],
  unboundedChatText: ['refusal.chat-send-creates-nothing'],
  unvalidatedSince: [
    'cursor.since-above-safe-integer',
    'cursor.since-float',
    'cursor.since-huge',
    'cursor.since-negative',
    'cursor.since-string',
    'refusal.join-creates-nothing',
    'robustness.malformed-flood',
  ],
};

describe('broken gateways are caught by named checks', () => {
  for (const [fault, expected] of Object.entries(MUTANTS)) {
    it(`${fault} fails exactly ${expected.join(', ')}`, async () => {
      const gateway = await startReference(fault as MutantName);
      try {
        const report = await runAgainst(gateway);
        const failing = failingIds(report).filter((id) => !referenceBaseline.has(id));
        expect(failing).toEqual([...expected].sort());
        expect(report.exitCode).toBe(1);
        expect(report.summary.error).toBe(0);
      } finally {
        await gateway.close();
      }
    }, 120_000);
  }
});
