import { since } from './since.js';
import { MAX_EVENT_TEXT_LENGTH } from './limits.js';
import { Type, type Static } from '@sinclair/typebox';
import { Closed, RunId, ShortText, TaggedUnion, Timestamp } from './common.js';
import { WireError } from './errors.js';

/** Tool-call phases. `end`, `error` and `result` are terminal: nothing follows them for that call. */
export const ToolPhase = Type.Union([Type.Literal('start'), Type.Literal('update'), Type.Literal('end'), Type.Literal('error'), Type.Literal('result')], {
  title: 'ToolPhase',
  description: 'Phase of a tool call. Terminal phases: end, error, result.',
});
export type ToolPhase = Static<typeof ToolPhase>;

/** Run lifecycle. `completed`, `aborted` and `failed` are terminal. */
export const RunStatus = Type.Union(
  [Type.Literal('queued'), Type.Literal('running'), Type.Literal('completed'), Type.Literal('aborted'), Type.Literal('failed')],
  { title: 'RunStatus', description: 'Lifecycle state of a run. Terminal: completed, aborted, failed.' },
);
export type RunStatus = Static<typeof RunStatus>;

export const RunTrigger = Type.Union([Type.Literal('chat'), Type.Literal('heartbeat')], {
  title: 'RunTrigger',
  description: 'What started a run: a user chat.send or a heartbeat turn.',
});

export const Role = Type.Union([Type.Literal('user'), Type.Literal('assistant'), Type.Literal('system')], { title: 'Role' });

const Text = Type.String({ maxLength: MAX_EVENT_TEXT_LENGTH });
const JsonValue = Type.Unknown({ description: 'Any JSON value.' });

export const MessageEvent = Type.Object(
  {
    type: Type.Literal('message'),
    messageId: ShortText,
    role: Role,
    text: Text,
    runId: Type.Optional(RunId),
    at: Timestamp,
  },
  { ...Closed, title: 'MessageEvent', description: 'A complete message in the conversation (durable).' },
);

export const RunStartEvent = Type.Object(
  {
    type: Type.Literal('run.start'),
    runId: RunId,
    trigger: RunTrigger,
    at: Timestamp,
  },
  { ...Closed, title: 'RunStartEvent', description: 'A run began executing in the session lane (durable).' },
);

export const StreamChunkEvent = Type.Object(
  {
    type: Type.Literal('stream.chunk'),
    runId: RunId,
    streamId: ShortText,
    index: Type.Integer({ minimum: 0, description: 'Position of this chunk in its stream, from 0.' }),
    text: Text,
  },
  {
    ...Closed,
    title: 'StreamChunkEvent',
    description:
      'A piece of streamed output (high-frequency, not durable). The matching stream.end carries the full text, so chunks of a finished stream may be compacted from the log.',
  },
);

export const StreamEndEvent = Type.Object(
  {
    type: Type.Literal('stream.end'),
    runId: RunId,
    streamId: ShortText,
    chunkCount: Type.Integer({ minimum: 0 }),
    text: Text,
  },
  {
    ...Closed,
    title: 'StreamEndEvent',
    description:
      'A stream finished; `text` is the whole streamed text (durable). A stream never holds more than MAX_EVENT_TEXT_LENGTH characters: longer output continues in the next stream of the run.',
  },
);

export const ResponseEvent = Type.Object(
  {
    type: Type.Literal('response'),
    runId: RunId,
    messageId: ShortText,
    text: Text,
    truncated: Type.Optional(
      Type.Literal(true, {
        ...since('1.1'),
        description:
          "The response is longer than MAX_EVENT_TEXT_LENGTH: `text` holds its beginning, and the whole response is the concatenation of the run's stream.end texts in seq order.",
      }),
    ),
    at: Timestamp,
  },
  { ...Closed, title: 'ResponseEvent', description: "The run's final response: the assistant message it produced (durable)." },
);

export const RunEndEvent = Type.Object(
  {
    type: Type.Literal('run.end'),
    runId: RunId,
    status: Type.Union([Type.Literal('completed'), Type.Literal('aborted'), Type.Literal('failed')]),
    error: Type.Optional(WireError),
    at: Timestamp,
  },
  { ...Closed, title: 'RunEndEvent', description: 'A run reached a terminal state (durable).' },
);

export const ErrorEvent = Type.Object(
  {
    type: Type.Literal('error'),
    runId: Type.Optional(RunId),
    error: WireError,
    at: Timestamp,
  },
  { ...Closed, title: 'ErrorEvent', description: 'An error that belongs to the session history (durable).' },
);

export const ToolEvent = Type.Object(
  {
    type: Type.Literal('tool'),
    runId: RunId,
    toolCallId: ShortText,
    toolName: ShortText,
    phase: ToolPhase,
    input: Type.Optional(JsonValue),
    progress: Type.Optional(JsonValue),
    output: Type.Optional(JsonValue),
    error: Type.Optional(WireError),
    at: Timestamp,
  },
  {
    ...Closed,
    title: 'ToolEvent',
    description:
      'One phase of a tool call. start carries input, update carries progress (not durable), result carries output, error carries error; end closes the call without output.',
  },
);
export type ToolEvent = Static<typeof ToolEvent>;

export const HeartbeatSkipReason = Type.Union([Type.Literal('session-busy'), Type.Literal('requests-in-flight')], {
  title: 'HeartbeatSkipReason',
  description:
    'session-busy: this session lane is running a turn, the heartbeat is retried for this session only. requests-in-flight: the gateway as a whole is saturated.',
});

export const HeartbeatEvent = Type.Object(
  {
    type: Type.Literal('heartbeat'),
    heartbeatId: ShortText,
    trigger: Type.Union([Type.Literal('interval'), Type.Literal('system-event'), Type.Literal('retry'), Type.Literal('manual')]),
    status: Type.Union([Type.Literal('ran'), Type.Literal('skipped')]),
    reason: Type.Optional(HeartbeatSkipReason),
    retryInMs: Type.Optional(Type.Integer({ minimum: 0, description: 'When skipped: delay before this session retries.' })),
    runId: Type.Optional(RunId),
    pendingSystemEvents: Type.Integer({ minimum: 0, description: 'System events still queued for this session after this outcome.' }),
    at: Timestamp,
  },
  {
    ...Closed,
    title: 'HeartbeatEvent',
    description: 'Outcome of a heartbeat for this session. A ran heartbeat is durable; a skipped one is not.',
  },
);

export const SystemEventDelivered = Type.Object(
  {
    type: Type.Literal('system.event'),
    eventId: ShortText,
    kind: ShortText,
    text: Text,
    runId: RunId,
    at: Timestamp,
  },
  {
    ...Closed,
    title: 'SystemEventDelivered',
    description: 'A queued system event (e.g. a finished background command) delivered to the agent in a heartbeat turn (durable).',
  },
);

export const SessionEvent = TaggedUnion(
  [MessageEvent, RunStartEvent, StreamChunkEvent, StreamEndEvent, ResponseEvent, RunEndEvent, ErrorEvent, ToolEvent, HeartbeatEvent, SystemEventDelivered],
  { title: 'SessionEvent', description: 'Anything recorded in a session event log. Discriminated by `type`.' },
);
export type SessionEvent = Static<typeof SessionEvent>;
export type SessionEventType = SessionEvent['type'];

export type RunTrigger = Static<typeof RunTrigger>;
export type Role = Static<typeof Role>;
export type MessageEvent = Static<typeof MessageEvent>;
export type RunStartEvent = Static<typeof RunStartEvent>;
export type StreamChunkEvent = Static<typeof StreamChunkEvent>;
export type StreamEndEvent = Static<typeof StreamEndEvent>;
export type ResponseEvent = Static<typeof ResponseEvent>;
export type RunEndEvent = Static<typeof RunEndEvent>;
export type ErrorEvent = Static<typeof ErrorEvent>;
export type HeartbeatSkipReason = Static<typeof HeartbeatSkipReason>;
export type HeartbeatEvent = Static<typeof HeartbeatEvent>;
export type SystemEventDelivered = Static<typeof SystemEventDelivered>;
