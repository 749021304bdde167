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

export const SessionsListParams = Type.Object(
  { limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'At most this many rows, newest first (default 100).' })) },
  { ...Closed, title: 'SessionsListParams' },
);
export const SessionsListData = Type.Object(
  { sessions: Type.Array(SessionRow, { maxItems: 1000 }) },
  { ...Closed, title: 'SessionsListData', description: 'Sessions visible to the principal, most recently updated first.' },
);
export type SessionsListData = Static<typeof SessionsListData>;
export const SessionsListResult = Result(SessionsListData, 'SessionsListResult');

export const SessionsChanged = Type.Object(
  {
    sessionId: SessionId,
    reason: Type.Union([Type.Literal('created'), Type.Literal('run.queued'), Type.Literal('run.start'), Type.Literal('run.end'), Type.Literal('recreated')]),
    row: SessionRow,
  },
  {
    ...Closed,
    title: 'SessionsChanged',
    description:
      'Broadcast on every change of a session row. The terminal broadcast (reason run.end) is sent only after the active-run projection is cleared: a sessions.list issued after it never shows that run active.',
  },
);
export type SessionsChanged = Static<typeof SessionsChanged>;

export type SessionsListParams = Static<typeof SessionsListParams>;
export type SessionsListResult = Static<typeof SessionsListResult>;
