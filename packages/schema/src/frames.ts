import { MAX_FRAMES_PER_BATCH } from './limits.js';
import { Type, type Static } from '@sinclair/typebox';
import { Closed, Cursor, Epoch, Seq, SessionId } from './common.js';
import { SessionEvent, ToolEvent } from './events.js';

export const SkippedRange = Type.Object(
  {
    fromSeq: Seq,
    toSeq: Seq,
    reason: Type.Union([Type.Literal('compacted'), Type.Literal('suppressed')], {
      description:
        'compacted: removed from the log by retention (non-durable events only). suppressed: withheld from this client on purpose (back-off or slow consumer; non-terminal tool mirrors only).',
    }),
  },
  {
    ...Closed,
    title: 'SkippedRange',
    description:
      'Seqs fromSeq..toSeq (inclusive, toSeq = this frame seq - 1) were deliberately not sent to this client. They are not lost: a client treats them as seen.',
  },
);
export type SkippedRange = Static<typeof SkippedRange>;

export const EventFrame = Type.Object(
  {
    sessionId: SessionId,
    epoch: Epoch,
    seq: Seq,
    event: SessionEvent,
    skipped: Type.Optional(SkippedRange),
  },
  {
    ...Closed,
    title: 'EventFrame',
    description: 'One session event with its position. Every frame the gateway emits for a session carries seq and epoch at the top level.',
  },
);
export type EventFrame = Static<typeof EventFrame>;

export const ToolFrame = Type.Object(
  {
    sessionId: SessionId,
    epoch: Epoch,
    seq: Seq,
    event: ToolEvent,
    skipped: Type.Optional(SkippedRange),
  },
  { ...Closed, title: 'ToolFrame', description: 'A session.tool mirror: a tool event sent to a client that is not run-scoped for its run.' },
);
export type ToolFrame = Static<typeof ToolFrame>;

/** Socket.IO payloads carry a batch of one or more consecutive frames of one session. */
export { MAX_FRAMES_PER_BATCH };
export const EventBatch = Type.Array(EventFrame, {
  title: 'EventBatch',
  description: 'One or more frames of one session in ascending seq order, delivered in a single emit.',
  minItems: 1,
  maxItems: MAX_FRAMES_PER_BATCH,
});
export const ToolBatch = Type.Array(ToolFrame, {
  title: 'ToolBatch',
  description: 'One or more session.tool mirrors of one session in ascending seq order.',
  minItems: 1,
  maxItems: MAX_FRAMES_PER_BATCH,
});

export const RetainedEvent = Type.Object({ seq: Seq, event: SessionEvent }, { ...Closed, title: 'RetainedEvent', description: 'An event as kept in the log.' });
export type RetainedEvent = Static<typeof RetainedEvent>;

export { Cursor };

export type EventBatch = Static<typeof EventBatch>;
export type ToolBatch = Static<typeof ToolBatch>;
