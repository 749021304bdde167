import { since } from './since.js';
import { Type, type Static } from '@sinclair/typebox';
import { Closed, RunId, SessionId, Timestamp } from './common.js';
import { Result } from './errors.js';

export const SessionStatus = Type.Union(
  [Type.Literal('idle'), Type.Literal('queued'), Type.Literal('running'), Type.Literal('completed'), Type.Literal('aborted'), Type.Literal('failed')],
  {
    title: 'SessionStatus',
    description: 'idle: no run yet. queued/running: a run is waiting or executing. completed/aborted/failed: the last run ended that way (terminal rows).',
  },
);
export type SessionStatus = Static<typeof SessionStatus>;

export const SessionRow = Type.Object(
  {
    sessionId: SessionId,
    status: SessionStatus,
    hasActiveRun: Type.Boolean({ description: 'Explicit and authoritative for non-terminal rows. Never true on a terminal row.' }),
    activeRunId: Type.Union([RunId, Type.Null()]),
    lastRunId: Type.Union([RunId, Type.Null()]),
    updatedAt: Timestamp,
    revision: Type.Integer({ minimum: 0, description: 'Increases on every change of this row; a client keeps the highest it saw.' }),
  },
  { ...Closed, title: 'SessionRow', description: 'One session as listed by sessions.list and sessions.changed.' },
);
export type SessionRow = Static<typeof SessionRow>;

/** An opaque position in a paginated list: clients pass it back unchanged. */
export const ListCursor = Type.String({
  title: 'ListCursor',
  description: 'Opaque position in a paginated sessions.list, as answered in nextCursor; only meaningful to the gateway that issued it.',
  minLength: 1,
  maxLength: 512,
  pattern: '^[A-Za-z0-9_-]+$',
});

export const SessionsListParams = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'At most this many rows, newest first (default 100).' })),
    cursor: Type.Optional(Type.Unsafe<string>({ ...ListCursor, ...since('1.1') })),
  },
  {
    ...Closed,
    title: 'SessionsListParams',
    description: 'List sessions. Without `cursor`, the first page; with the `nextCursor` of a previous answer, the page after it.',
  },
);
export const SessionsListData = Type.Object(
  {
    sessions: Type.Array(SessionRow, { maxItems: 1000 }),
    nextCursor: Type.Optional(
      Type.Unsafe<string>({ ...ListCursor, ...since('1.1'), description: 'Present when more rows follow: pass it as `cursor` for the next page.' }),
    ),
  },
  { ...Closed, title: 'SessionsListData', description: 'Sessions visible to the principal, most recently updated first.' },
);
export type SessionsListData = Static<typeof SessionsListData>;
export const SessionsListResult = Result(SessionsListData, 'SessionsListResult');

export const SessionsChanged = Type.Object(
  {
    sessionId: SessionId,
    reason: Type.Union(
      [
        Type.Literal('created'),
        Type.Literal('run.queued'),
        Type.Literal('run.start'),
        Type.Literal('run.end'),
        Type.Literal('recreated'),
        Type.Literal('unloaded', since('1.1')),
      ],
      {
        description:
          'What changed. `unloaded`: the gateway unloaded the idle session; it is no longer listed until used again (never sent to a connection that negotiated 1.0).',
      },
    ),
    row: SessionRow,
  },
  {
    ...Closed,
    title: 'SessionsChanged',
    description:
      'Sent on every change of a session row to the connections that follow it: subscribers of the session list (sessions.subscribe) whose principal may see the row, and connections that joined the session or started or subscribed to a run in it. The terminal one (reason run.end) is sent only after the active-run projection is cleared: a sessions.list issued after it never shows that run active.',
  },
);
export type SessionsChanged = Static<typeof SessionsChanged>;

export const SessionsSubscribeParams = Type.Object(
  {
    enabled: Type.Boolean({ description: 'Start (true) or stop (false) following the session list. Subscribing again replaces the filter.' }),
    prefix: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 128,
        pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]*$',
        description: 'Follow only sessions whose id starts with this.',
      }),
    ),
  },
  {
    ...Closed,
    ...since('1.1'),
    title: 'SessionsSubscribeParams',
    description:
      'Follow the session list: sessions.changed for every row the principal may see (and the prefix matches), sessions.resync when creations were coalesced.',
  },
);
export const SessionsSubscribeData = Type.Object(
  {
    enabled: Type.Boolean(),
    prefix: Type.Optional(Type.String({ maxLength: 128 })),
    maxCreatedPerWindow: Type.Integer({
      minimum: 1,
      description: 'Creation notices (reason created) sent individually per window; past them creations are coalesced.',
    }),
    windowMs: Type.Integer({ minimum: 1, description: 'Length of that window.' }),
  },
  { ...Closed, ...since('1.1'), title: 'SessionsSubscribeData' },
);
export const SessionsSubscribeResult = Result(SessionsSubscribeData, 'SessionsSubscribeResult');

export const SessionsResync = Type.Object(
  {
    reason: Type.Union([Type.Literal('coalesced')], { description: 'coalesced: more sessions were created in one window than are announced one by one.' }),
    skipped: Type.Integer({ minimum: 1, description: 'Changes not sent individually since the last notice.' }),
  },
  {
    ...Closed,
    ...since('1.1'),
    title: 'SessionsResync',
    description:
      'Sent to a session-list subscriber instead of a storm of creation notices: rows changed that were not sent one by one; list again (sessions.list) to catch up.',
  },
);
export type SessionsResync = Static<typeof SessionsResync>;
export type SessionsSubscribeParams = Static<typeof SessionsSubscribeParams>;
export type SessionsSubscribeData = Static<typeof SessionsSubscribeData>;
export type SessionsSubscribeResult = Static<typeof SessionsSubscribeResult>;

export type SessionsListParams = Static<typeof SessionsListParams>;
export type SessionsListResult = Static<typeof SessionsListResult>;
