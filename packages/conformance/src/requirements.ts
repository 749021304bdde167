/**
 * The requirements manifest: one entry per numbered requirement of the protocol brief, in our own
 * condensed words. Checks cite these IDs; the coverage test keeps both sides in step.
 */
export type RequirementLevel = 'MUST' | 'SHOULD';

/** A part of a requirement that has its own checks and may be left unverified on its own. */
export interface RequirementClause {
  /** `R6.1#authentication`: the requirement id, `#`, a short name. */
  id: string;
  text: string;
}

export interface Requirement {
  id: string;
  section: string;
  level: RequirementLevel;
  text: string;
  /**
   * Clauses whose checks depend on optional features (a token, a peer node, an advertised bound).
   * The requirement is verified only when every clause has a passing check.
   */
  clauses?: readonly RequirementClause[];
}

export const Requirements = [
  {
    id: 'R1.1',
    section: 'Envelope and validation',
    level: 'MUST',
    text: 'Every message in both directions has a schema; implementations derive their types from it.',
  },
  {
    id: 'R1.2',
    section: 'Envelope and validation',
    level: 'MUST',
    text: 'Every inbound message is validated at ingress; an invalid one gets a structured error (code, message, JSON paths), changes no state, and the connection stays usable.',
  },
  {
    id: 'R1.3',
    section: 'Envelope and validation',
    level: 'MUST',
    text: 'Client-controlled numbers (cursors, limits) are integers in range; a string, float, negative or huge value is a protocol error, never a crash or coercion.',
  },
  {
    id: 'R1.4',
    section: 'Envelope and validation',
    level: 'MUST',
    text: "The protocol version is negotiated at connect and join; an unsupported major is refused with an error naming the supported range; within a supported major the highest minor both sides know is served and named (a newer minor than the gateway's is served, not refused).",
  },
  {
    id: 'R1.5',
    section: 'Envelope and validation',
    level: 'MUST',
    text: 'Requests are answered through acknowledgements with one result shape: ok + data, or not ok + error.',
  },
  {
    id: 'R1.6',
    section: 'Envelope and validation',
    level: 'MUST',
    text: 'Unknown events and oversized payloads get a structured error as well.',
    clauses: [
      { id: 'R1.6#unknown-event', text: 'an unknown event gets UNKNOWN_EVENT' },
      { id: 'R1.6#oversized', text: 'an oversized payload gets PAYLOAD_TOO_LARGE' },
    ],
  },
  {
    id: 'R1.7',
    section: 'Envelope and validation',
    level: 'MUST',
    text: 'A refused request changes nothing: an invalid or unauthorised join, chat.send or control command creates no session, no row, no run and no sessions.changed.',
  },
  {
    id: 'R2.1',
    section: 'Join, resume and replay',
    level: 'MUST',
    text: 'Every frame emitted for a session (live or replayed, chunks and tool mirrors included) carries seq and epoch at the top level; a frame withheld on purpose never looks like loss.',
  },
  {
    id: 'R2.2',
    section: 'Join, resume and replay',
    level: 'MUST',
    text: 'The session log is bounded by count and bytes; the gateway always knows oldestCursor, the oldest seq it can replay.',
    clauses: [
      { id: 'R2.2#bounded', text: 'the log never retains more than maxEvents events or maxBytes bytes' },
      { id: 'R2.2#oldest-cursor', text: 'oldestCursor follows retention' },
    ],
  },
  {
    id: 'R2.3',
    section: 'Join, resume and replay',
    level: 'MUST',
    text: 'join { sessionId, since?, epoch? } is answered by joined { sessionId, epoch, cursor, oldestCursor, resyncRequired } with cursor the head seq.',
  },
  {
    id: 'R2.4',
    section: 'Join, resume and replay',
    level: 'MUST',
    text: 'resyncRequired is true exactly when gapless replay is impossible: replay is possible iff the epoch matches and oldestCursor - 1 <= since <= cursor; a join without since gets a snapshot; never a partial replay.',
  },
  {
    id: 'R2.5',
    section: 'Join, resume and replay',
    level: 'MUST',
    text: 'Otherwise every event of (since, cursor] is replayed in order, then live events from cursor + 1: no gap, duplicate or reordering, even while the session streams.',
  },
  {
    id: 'R2.6',
    section: 'Join, resume and replay',
    level: 'MUST',
    text: 'Stream chunks never push durable events out of the replay window; anything compacted is announced, not silently skipped.',
  },
  {
    id: 'R2.7',
    section: 'Join, resume and replay',
    level: 'MUST',
    text: 'A snapshot rebuilds the view: session state, messages, the active run and the retained durable events.',
  },
  {
    id: 'R3.1',
    section: 'Tool mirrors under pressure',
    level: 'MUST',
    text: 'Tool calls have phases start, update and terminal end/error/result; run-scoped subscribers receive all of them.',
  },
  { id: 'R3.2', section: 'Tool mirrors under pressure', level: 'MUST', text: 'Other clients of the session receive session.tool mirrors.' },
  {
    id: 'R3.3',
    section: 'Tool mirrors under pressure',
    level: 'MUST',
    text: 'The gateway measures its pressure and, while pressured with queued work, enters a bounded, configurable back-off window.',
  },
  {
    id: 'R3.4',
    section: 'Tool mirrors under pressure',
    level: 'MUST',
    text: 'During back-off non-terminal mirrors are suppressed; terminal mirrors and all run-scoped tool events are still delivered.',
  },
  {
    id: 'R3.5',
    section: 'Tool mirrors under pressure',
    level: 'SHOULD',
    text: 'Pressure is observable: active, waiting, queued, event-loop delay, back-off active, mirrors suppressed.',
    clauses: [
      { id: 'R3.5#counters', text: 'diagnostics report the back-off and count mirrors' },
      { id: 'R3.5#periodic', text: 'subscribers receive the periodic diagnostics event' },
    ],
  },
  {
    id: 'R4.1',
    section: 'Active runs and session lists',
    level: 'MUST',
    text: 'sessions.list rows carry status and an explicit boolean hasActiveRun; sessions.changed is broadcast on every change.',
  },
  {
    id: 'R4.2',
    section: 'Active runs and session lists',
    level: 'MUST',
    text: 'The active-run projection is cleared before the terminal sessions.changed; a later sessions.list never shows the finished run active, even during cleanup.',
  },
  {
    id: 'R4.3',
    section: 'Active runs and session lists',
    level: 'MUST',
    text: "A repeated chat.send with the same idempotency key returns the original run and starts nothing; aborting a finished run is a clean no-op. Keys and run ids are scoped to their session: the same key in two sessions starts two runs, and chat.abort or run.subscribe naming another session's run answers RUN_NOT_FOUND.",
  },
  {
    id: 'R4.4',
    section: 'Active runs and session lists',
    level: 'MUST',
    text: 'hasActiveRun is authoritative for non-terminal rows; a terminal row is never active.',
  },
  { id: 'R5.1', section: 'Heartbeats and busy lanes', level: 'MUST', text: "Heartbeat turns, periodic or woken by system events, run in the session's lane." },
  {
    id: 'R5.2',
    section: 'Heartbeats and busy lanes',
    level: 'MUST',
    text: 'A heartbeat on a busy lane is skipped with reason session-busy (not requests-in-flight), retried for that session only, and never interrupts the active run.',
  },
  {
    id: 'R5.3',
    section: 'Heartbeats and busy lanes',
    level: 'MUST',
    text: 'Skipped heartbeats consume no queued system events; they are delivered once the lane is idle; a busy session never delays other sessions.',
  },
  { id: 'R5.4', section: 'Heartbeats and busy lanes', level: 'SHOULD', text: 'Heartbeat outcomes (status and reason) are observable.' },
  {
    id: 'R6.1',
    section: 'Security and robustness',
    level: 'MUST',
    text: 'Connections authenticate in the handshake; joins are authorised per principal; a refusal leaks nothing.',
    clauses: [
      { id: 'R6.1#authentication', text: 'a handshake without valid credentials is refused' },
      { id: 'R6.1#authorisation', text: 'joining a session is authorised per principal' },
      { id: 'R6.1#no-leak', text: 'a refusal says nothing about the session' },
    ],
  },
  { id: 'R6.2', section: 'Security and robustness', level: 'MUST', text: 'Test-control surfaces are off by default and guarded when on.' },
  {
    id: 'R6.3',
    section: 'Security and robustness',
    level: 'MUST',
    text: 'No input, however malformed or large, crashes the gateway or corrupts a session log.',
  },
  {
    id: 'R6.4',
    section: 'Security and robustness',
    level: 'MUST',
    text: "No client can grow the gateway's memory without bound: a socket whose pending output passes a bound loses non-terminal mirrors first, then is disconnected with a stated reason; sessions and connections per principal are bounded with a clear error; idle sessions are unloaded; browser origins are checked against an allowlist.",
    clauses: [
      { id: 'R6.4#slow-consumer', text: 'a socket over its pending-output bound is disconnected with SLOW_CONSUMER, after losing only non-terminal mirrors' },
      { id: 'R6.4#principal-bounds', text: 'sessions and connections per principal are bounded with LIMIT_EXCEEDED' },
      { id: 'R6.4#idle-unload', text: 'idle sessions are unloaded without breaking resume' },
      { id: 'R6.4#origins', text: 'browser origins outside the allowlist are refused' },
      { id: 'R6.4#list-storms', text: 'a storm of session creations costs a list subscriber a bounded number of notices (sessions.resync)' },
    ],
  },
  { id: 'R7.1', section: 'Scale', level: 'MUST', text: 'One process runs with an embedded in-memory log by default.' },
  {
    id: 'R7.2',
    section: 'Scale',
    level: 'SHOULD',
    text: 'Several gateway processes share sessions; a client resumes on another node with the same guarantees.',
  },
  {
    id: 'R7.3',
    section: 'Scale',
    level: 'SHOULD',
    text: "With a durable store, restarting the gateway keeps each session's epoch and history: clients resume by replay, not by resync.",
  },
  {
    id: 'R8.1',
    section: 'Conformance control',
    level: 'MUST',
    text: 'What the public protocol cannot cause is asked through a guarded control surface that advertises the commands it supports.',
  },
  {
    id: 'R8.2',
    section: 'Conformance control',
    level: 'MUST',
    text: 'A check whose control command is missing fails as not testable; it is never passed or silently skipped.',
  },
] as const satisfies readonly Requirement[];

export type RequirementId = (typeof Requirements)[number]['id'];

const byId = new Map<string, Requirement>(Requirements.map((r) => [r.id, r]));

export function findRequirement(id: string): Requirement | undefined {
  return byId.get(id);
}
