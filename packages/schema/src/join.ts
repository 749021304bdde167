import { since } from './since.js';
import { MAX_ACTIVE_RUN_TOOLS, MAX_EVENT_TEXT_LENGTH, MAX_SNAPSHOT_EVENTS, MAX_SNAPSHOT_MESSAGES } from './limits.js';
import { Type, type Static } from '@sinclair/typebox';
import { Closed, Cursor, Epoch, RunId, SessionId, ShortText, Timestamp } from './common.js';
import { Result } from './errors.js';
import { Role, RunStatus, RunTrigger, ToolPhase } from './events.js';
import { RetainedEvent } from './frames.js';
import { SessionStatus } from './sessions.js';

const ProtocolVersionString = Type.String({ pattern: '^[0-9]+\\.[0-9]+$', maxLength: 16, description: '"MAJOR.MINOR"' });

export const JoinParams = Type.Object(
  {
    sessionId: SessionId,
    since: Type.Optional(Cursor),
    epoch: Type.Optional(Epoch),
    protocolVersion: Type.Optional(ProtocolVersionString),
  },
  {
    ...Closed,
    title: 'JoinParams',
    description:
      'Join a session. With `since` (and the `epoch` it belongs to) the gateway replays what came after it; without `since` the client gets a snapshot.',
  },
);
export type JoinParams = Static<typeof JoinParams>;

export const ResyncReason = Type.Union(
  [Type.Literal('fresh-join'), Type.Literal('since-too-old'), Type.Literal('since-ahead'), Type.Literal('epoch-mismatch')],
  {
    title: 'ResyncReason',
    description:
      'Why a snapshot is sent instead of a replay: no since given, since older than oldestCursor - 1, since beyond the head, or since from another epoch.',
  },
);
export type ResyncReason = Static<typeof ResyncReason>;

export const Joined = Type.Object(
  {
    sessionId: SessionId,
    epoch: Epoch,
    cursor: Cursor,
    oldestCursor: Type.Integer({
      minimum: 1,
      description: 'Oldest seq the gateway can still replay. Replay from `since` is possible iff oldestCursor - 1 <= since <= cursor.',
    }),
    resyncRequired: Type.Boolean({ description: 'True exactly when a gapless replay from `since` is impossible; a snapshot follows.' }),
    reason: Type.Optional(ResyncReason),
    protocolVersion: ProtocolVersionString,
  },
  {
    ...Closed,
    title: 'Joined',
    description:
      'Answer to join, emitted as `joined` (and returned in the join acknowledgement) before any replay or snapshot. `cursor` is the head seq at the moment of joining.',
  },
);
export type Joined = Static<typeof Joined>;
export const JoinResult = Result(Joined, 'JoinResult');

export const LeaveParams = Type.Object({ sessionId: SessionId }, { ...Closed, title: 'LeaveParams', description: 'Stop receiving frames of a session.' });
export const LeaveData = Type.Object({ sessionId: SessionId, left: Type.Boolean() }, { ...Closed, title: 'LeaveData' });
export const LeaveResult = Result(LeaveData, 'LeaveResult');

export const SnapshotMessage = Type.Object(
  {
    messageId: ShortText,
    role: Role,
    text: Type.String({ maxLength: MAX_EVENT_TEXT_LENGTH }),
    truncated: Type.Optional(
      Type.Literal(true, { ...since('1.1'), description: 'The message is longer than MAX_EVENT_TEXT_LENGTH and `text` holds its beginning.' }),
    ),
    runId: Type.Optional(RunId),
    seq: Type.Integer({ minimum: 1 }),
    at: Timestamp,
  },
  { ...Closed, title: 'SnapshotMessage', description: 'A conversation message as rebuilt for a snapshot.' },
);

export const SnapshotToolCall = Type.Object(
  {
    toolCallId: ShortText,
    toolName: ShortText,
    phase: ToolPhase,
    input: Type.Optional(Type.Unknown()),
    output: Type.Optional(Type.Unknown()),
  },
  { ...Closed, title: 'SnapshotToolCall', description: 'Last known phase of a tool call of the active run.' },
);

export const ActiveRun = Type.Object(
  {
    runId: RunId,
    status: RunStatus,
    trigger: RunTrigger,
    startedAt: Timestamp,
    text: Type.String({ maxLength: MAX_EVENT_TEXT_LENGTH, description: 'Streamed text so far.' }),
    truncated: Type.Optional(
      Type.Literal(true, {
        ...since('1.1'),
        description: 'The run streamed more than MAX_EVENT_TEXT_LENGTH characters and `text` holds the beginning.',
      }),
    ),
    tools: Type.Array(SnapshotToolCall, { maxItems: MAX_ACTIVE_RUN_TOOLS }),
  },
  { ...Closed, title: 'ActiveRun', description: 'The run in progress when the snapshot was taken.' },
);

export const SessionState = Type.Object(
  {
    status: SessionStatus,
    hasActiveRun: Type.Boolean(),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  { ...Closed, title: 'SessionState' },
);

export const Snapshot = Type.Object(
  {
    sessionId: SessionId,
    epoch: Epoch,
    eventCursor: Cursor,
    oldestCursor: Type.Integer({ minimum: 1 }),
    state: SessionState,
    messages: Type.Array(SnapshotMessage, { maxItems: MAX_SNAPSHOT_MESSAGES }),
    activeRun: Type.Union([ActiveRun, Type.Null()]),
    events: Type.Array(RetainedEvent, {
      maxItems: MAX_SNAPSHOT_EVENTS,
      description: 'The retained durable events, ascending by seq.',
    }),
    omitted: Type.Optional(
      Type.Object(
        {
          messages: Type.Integer({ minimum: 0, description: 'The oldest messages left out.' }),
          events: Type.Integer({ minimum: 0, description: 'The oldest retained durable events left out.' }),
        },
        {
          ...Closed,
          ...since('1.1'),
          description:
            "The snapshot was bounded by the gateway's snapshot size (hello.limits.maxSnapshotBytes): these counts of the oldest messages and events were left out. Absent when nothing was.",
        },
      ),
    ),
  },
  {
    ...Closed,
    title: 'Snapshot',
    description: 'Authoritative view of a session at `eventCursor`, enough to rebuild a client view from nothing. Live frames continue from eventCursor + 1.',
  },
);
export type Snapshot = Static<typeof Snapshot>;

export type JoinResult = Static<typeof JoinResult>;
export type LeaveParams = Static<typeof LeaveParams>;
export type LeaveData = Static<typeof LeaveData>;
export type LeaveResult = Static<typeof LeaveResult>;
export type SnapshotMessage = Static<typeof SnapshotMessage>;
export type SnapshotToolCall = Static<typeof SnapshotToolCall>;
export type ActiveRun = Static<typeof ActiveRun>;
export type SessionState = Static<typeof SessionState>;
