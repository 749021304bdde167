import type { RowPattern, StatePattern } from './axes.js';

/**
 * Cells of the coverage matrix that no check walks, each with the reason. `n/a`: the message
 * cannot meet that state, or the state does not change what it must do. `pending`: the state can
 * only be reached through a control command that is proposed but not yet in the schema.
 * A pattern names every row of a kind (`request:*`) or every state of a dimension (`log:*`); a
 * walked cell wins over an explanation, and an explanation that names a walked cell exactly is
 * stale (the coverage test fails). The first matching entry gives the reason.
 */
export interface CellExplanation {
  rows: readonly RowPattern[];
  states: readonly StatePattern[];
  kind: 'n/a' | 'pending';
  reason: string;
}

/** Rows that concern the whole gateway, not a session or a run. */
const GATEWAY_WIDE: RowPattern[] = [
  'request:diagnostics.get',
  'request:diagnostics.subscribe',
  'event:diagnostics',
  'control:capabilities',
  'control:pressure.set',
  'control:pressure.pulse',
  'control:cleanup.delay',
  'control:diagnostics.interval',
];

export const CELL_EXPLANATIONS: readonly CellExplanation[] = [
  // Credentials: a refused handshake leaves nothing to walk but the refusal itself.
  {
    rows: ['request:*'],
    states: ['auth:wrong', 'auth:missing', 'auth:control-only'],
    kind: 'n/a',
    reason:
      'refused at the handshake (auth.wrong-token-refused, auth.missing-token-refused, auth.control-token-alone-refused walk that on hello): no request reaches the gateway',
  },
  {
    rows: ['event:*'],
    states: ['auth:wrong', 'auth:missing', 'auth:control-only'],
    kind: 'n/a',
    reason: 'a refused handshake receives connect_error and no event at all; that absence is walked on event:hello',
  },
  {
    rows: ['control:*'],
    states: ['auth:control-only'],
    kind: 'n/a',
    reason:
      'with authentication a control token alone is refused at the handshake (auth.control-token-alone-refused); without authentication it is the suite’s own credentials',
  },
  // Rows that meet no session, run or log.
  {
    rows: ['event:hello'],
    states: ['session:*', 'run:*', 'log:*'],
    kind: 'n/a',
    reason: 'hello is the first event of a connection, before it touches any session',
  },
  {
    rows: ['event:hello'],
    states: ['conn:run-scoped', 'conn:mirror', 'conn:slow'],
    kind: 'n/a',
    reason: 'hello arrives before a connection can start, subscribe to or fall behind on anything',
  },
  {
    rows: GATEWAY_WIDE,
    states: ['session:*', 'run:*', 'log:*'],
    kind: 'n/a',
    reason: 'gateway-wide: it names no session or run and reads no log',
  },
  {
    rows: ['event:protocol.error'],
    states: ['session:*', 'run:*', 'log:*'],
    kind: 'n/a',
    reason: 'answers an inbound message that carried no acknowledgement; it reports on that message, not on session state',
  },
  {
    rows: ['request:control'],
    states: ['run:*', 'log:*', 'conn:run-scoped', 'conn:mirror', 'conn:slow'],
    kind: 'n/a',
    reason: 'the states a control command meets are walked in its own row (control:*); this row covers the envelope and the guard',
  },
  // Following the list: the principal's rows, not one session, run or log.
  {
    rows: ['request:sessions.subscribe', 'event:sessions.resync'],
    states: ['session:*', 'run:*', 'log:*', 'conn:run-scoped', 'conn:mirror', 'conn:slow'],
    kind: 'n/a',
    reason:
      'follows the rows the principal may see, whatever any one session, run or log is in; a slow subscriber gets its notices whole or is disconnected (R6.4)',
  },
  // Rows that carry no run id.
  {
    rows: [
      'request:join',
      'request:leave',
      'request:sessions.list',
      'event:joined',
      'event:replay',
      'event:snapshot',
      'event:session.event',
      'event:sessions.changed',
      'control:session.append',
      'control:session.trim',
      'control:session.recreate',
      'control:run.script',
      'control:run.release',
      'control:lane.hold',
      'control:lane.release',
      'control:system.enqueue',
      'control:heartbeat.trigger',
    ],
    states: ['run:unknown', 'run:other-session'],
    kind: 'n/a',
    reason: 'carries no run id, so it cannot name an unknown run or one of another session',
  },
  {
    rows: ['event:session.tool'],
    states: ['run:unknown'],
    kind: 'n/a',
    reason: 'frames belong to runs the gateway itself started',
  },
  {
    rows: ['request:chat.send'],
    states: ['run:unknown'],
    kind: 'n/a',
    reason: 'chat.send names no run; only its idempotency key maps to one (a key used in another session is walked as run:other-session)',
  },
  // Connection relation: what answers the principal or the gateway.
  {
    rows: ['request:sessions.list', 'request:diagnostics.get', 'request:diagnostics.subscribe', 'event:diagnostics'],
    states: ['conn:run-scoped', 'conn:mirror', 'conn:slow'],
    kind: 'n/a',
    reason: 'answers the principal or the gateway, not the connection’s relation to a run; a slow reader gets it whole or is disconnected (R6.4)',
  },
  {
    rows: ['event:sessions.changed'],
    states: ['conn:mirror', 'conn:slow'],
    kind: 'n/a',
    reason: 'a broadcast to every connection of the principal, whatever its relation to a run; a slow reader gets it whole or is disconnected (R6.4)',
  },
  {
    rows: ['event:protocol.error'],
    states: ['conn:run-scoped', 'conn:mirror'],
    kind: 'n/a',
    reason: 'reports on an inbound message, whatever the connection’s relation to a run (the slow-consumer error is walked as conn:slow)',
  },
  {
    rows: ['request:*'],
    states: ['conn:slow'],
    kind: 'n/a',
    reason: 'a slow consumer’s requests are ordinary requests: only what it receives differs (walked on join and on the frames it gets)',
  },
  {
    rows: ['control:*'],
    states: ['conn:*'],
    kind: 'n/a',
    reason:
      'a control command acts on the gateway or a session, not on the calling connection; the relation is walked where a command creates it (run.script makes its caller run-scoped) or changes what connections get (pressure.set)',
  },
  {
    rows: ['event:session.tool'],
    states: ['conn:plain'],
    kind: 'n/a',
    reason: 'a connection that receives session.tool is a mirror connection by definition (walked as conn:mirror; run-scoped ones must not receive it)',
  },
  {
    rows: ['event:snapshot'],
    states: ['conn:slow'],
    kind: 'n/a',
    reason: 'a snapshot is one event sent before the acknowledgement; nothing in it may be withheld, so slowness only delays it',
  },
  {
    rows: ['request:chat.send'],
    states: ['conn:mirror'],
    kind: 'n/a',
    reason: 'whether the sender receives mirrors of other runs does not change what chat.send does (the sender of a run is walked as conn:run-scoped)',
  },
  // Retention: rows that do not read the log.
  {
    rows: [
      'request:leave',
      'request:chat.abort',
      'request:run.subscribe',
      'request:sessions.list',
      'event:sessions.changed',
      'event:session.tool',
      'control:run.release',
      'control:lane.hold',
      'control:lane.release',
      'control:system.enqueue',
      'control:heartbeat.trigger',
      'control:session.recreate',
    ],
    states: ['log:*'],
    kind: 'n/a',
    reason: 'does not read the log and does not depend on its retention (live delivery and rows are the same whatever was trimmed or compacted)',
  },
  {
    rows: ['request:chat.send'],
    states: ['log:trimmed', 'log:compacted'],
    kind: 'n/a',
    reason:
      'appending continues from the head whatever retention dropped; seq continuity after a trim and after compaction is walked on session.event (resume.* and retention.chunk-flood-keeps-durable)',
  },
  {
    rows: ['control:session.append'],
    states: ['log:compacted'],
    kind: 'n/a',
    reason:
      'compaction touches non-durable events only, which session.append callers do not depend on; appending past compacted chunks is walked through run.script',
  },
  {
    rows: ['control:run.script'],
    states: ['log:trimmed'],
    kind: 'n/a',
    reason: 'a scripted run appends from the head whatever a trim dropped; seq continuity after a trim is walked through session.append',
  },
  {
    rows: ['control:run.script'],
    states: ['log:empty'],
    kind: 'n/a',
    reason: 'a scripted run does the same on an empty log; a first run in a never-used session is walked through chat.send',
  },
  {
    rows: ['control:session.trim'],
    states: ['session:fresh', 'log:empty', 'log:trimmed', 'log:compacted', 'session:recreated'],
    kind: 'n/a',
    reason: 'trimming is walked on a log with events; trimming nothing, or trimming again, exercises no other rule',
  },
  {
    rows: ['event:replay'],
    states: ['session:fresh'],
    kind: 'n/a',
    reason: 'a never-used session has nothing to replay (its since-0 join answers no frames: replay.since-zero-without-epoch)',
  },
  {
    rows: ['event:session.tool'],
    states: ['session:fresh'],
    kind: 'n/a',
    reason: 'a mirror needs a connection joined before the run, so the session exists by then',
  },
  // Sessions: recreation.
  {
    rows: ['request:leave', 'request:chat.abort', 'request:run.subscribe', 'event:session.tool'],
    states: ['session:recreated'],
    kind: 'n/a',
    reason: 'recreating a log replaces its events, not its members or runs; these depend on membership and run state, walked in those columns',
  },
  {
    rows: ['request:sessions.list', 'event:sessions.changed'],
    states: ['session:recreated'],
    kind: 'n/a',
    reason: 'the protocol does not say what a recreated session’s row shows, or whether recreation is a row change',
  },
  {
    rows: ['control:session.recreate'],
    states: ['session:fresh'],
    kind: 'n/a',
    reason: 'recreating a never-used session is creating it',
  },
  {
    rows: ['control:lane.hold', 'control:lane.release', 'control:system.enqueue', 'control:heartbeat.trigger', 'control:run.release'],
    states: ['session:recreated'],
    kind: 'n/a',
    reason: 'lanes, heartbeats and gates belong to the session, not to its log’s epoch or history',
  },
  {
    rows: ['control:lane.release', 'control:system.enqueue', 'control:heartbeat.trigger', 'control:run.release'],
    states: ['session:fresh'],
    kind: 'n/a',
    reason: 'lanes, heartbeats and gates belong to the session, not to its log’s epoch or history',
  },
  {
    rows: ['control:run.release'],
    states: ['session:existing'],
    kind: 'n/a',
    reason: 'a gate belongs to a run; the states it meets are walked in the run columns',
  },
  // Runs.
  {
    rows: ['request:leave'],
    states: ['run:queued', 'run:finished'],
    kind: 'n/a',
    reason: 'leave names no run; the case that matters, frames still being produced, is walked with a running run',
  },
  {
    rows: ['request:chat.send'],
    states: ['run:queued'],
    kind: 'n/a',
    reason: 'a send behind a queued run queues like the one behind a running run that runs.queued-behind-running walks, lane order included',
  },
  {
    rows: ['event:replay'],
    states: ['run:queued'],
    kind: 'n/a',
    reason: 'a queued run has logged nothing yet, so a replay holds nothing of it',
  },
  {
    rows: ['event:session.tool'],
    states: ['run:queued', 'run:finished'],
    kind: 'n/a',
    reason: 'a queued run has no tool events yet and a finished one none any more (nothing after run.end: runs.abort-running)',
  },
  {
    rows: ['control:session.append'],
    states: ['run:queued', 'run:running', 'run:finished'],
    kind: 'n/a',
    reason: 'appending chosen events does not depend on runs; interleaving with a running run is walked on session.event',
  },
  {
    rows: ['control:session.recreate'],
    states: ['run:queued', 'run:running', 'run:finished'],
    kind: 'n/a',
    reason: 'the protocol does not say what a run does when its log is recreated under it',
  },
  {
    rows: ['control:session.trim'],
    states: ['run:queued', 'run:running', 'run:finished'],
    kind: 'n/a',
    reason: 'trimming drops old events whatever runs do; what a trim means for replay is walked in the log columns',
  },
  {
    rows: ['control:run.release'],
    states: ['run:queued'],
    kind: 'n/a',
    reason: 'a gate opened before its run reaches it is a property of the scripted agent, not of the protocol',
  },
  {
    rows: ['control:lane.hold', 'control:lane.release'],
    states: ['run:running', 'run:finished'],
    kind: 'n/a',
    reason: 'a held lane is walked alone and with a run waiting behind it; a running run already occupies the lane (heartbeat.busy-run-not-interrupted)',
  },
  {
    rows: ['control:system.enqueue'],
    states: ['run:running'],
    kind: 'n/a',
    reason: 'a system event queued behind a running run meets the same busy lane as one behind lane.hold (heartbeat.system-events-kept-while-busy)',
  },
  {
    rows: ['control:system.enqueue', 'control:heartbeat.trigger'],
    states: ['run:queued', 'run:finished'],
    kind: 'n/a',
    reason:
      'a busy lane is walked through lane.hold and a running run (heartbeat.busy-run-not-interrupted); a queued or finished run adds no rule for heartbeats',
  },
];
