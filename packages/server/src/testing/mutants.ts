import { MAX_CHAT_TEXT_LENGTH, validateRequestParams, type RequestName, type RequestParams, type Validation } from '@agent-gateway/schema';
import type { GatewayPieces } from '../gateway.js';
import type { GatewayOptions } from '../options.js';
import type { MirrorRule } from '../delivery/index.js';
import { decideMirror, emitBatch, type BatchWriter } from '../delivery/index.js';
import { skipBusyLanes, type HeartbeatRule } from '../ops/index.js';
import { decideResume, type ResumeRule } from '../resume/index.js';
import type { RunEndOrder } from '../runs/index.js';

/**
 * A deliberately broken reference gateway: one realistic mistake, made by swapping one piece (or
 * the mirror rule option). A conformance suite proves its worth by failing against each of these.
 */
export interface Mutant {
  /** The requirement the mistake breaks, and the mistake in one sentence. */
  breaks: string;
  description: string;
  pieces?: Partial<GatewayPieces>;
  options?: Pick<GatewayOptions, 'mirrorRule'>;
}

/** R2.4: since == oldestCursor - 1 is the last event before the window, yet it resyncs. */
const resyncAtOldestMinusOne: ResumeRule = (request, head) => {
  const decision = decideResume(request, head);
  if (decision.kind === 'replay' && request.since === head.oldestCursor - 1) return { kind: 'snapshot', resyncRequired: true, reason: 'since-too-old' };
  return decision;
};

/** R2.4: a cursor from the future is answered resyncRequired: false with nothing replayed. */
const replayNothingWhenAhead: ResumeRule = (request, head) => {
  const decision = decideResume(request, head);
  if (decision.kind === 'snapshot' && decision.reason === 'since-ahead') return { kind: 'replay', resyncRequired: false, fromCursor: head.cursor };
  return decision;
};

/** R2.4: a cursor older than the window replays what is retained, silently partial. */
const partialReplayWhenTooOld: ResumeRule = (request, head) => {
  const decision = decideResume(request, head);
  if (decision.kind === 'snapshot' && decision.reason === 'since-too-old') return { kind: 'replay', resyncRequired: false, fromCursor: head.oldestCursor - 1 };
  return decision;
};

/** R2.1: live stream chunks go out without their seq, so a client cannot see gaps in them. */
const omitSeqOnChunks: BatchWriter = (socket, channel, frames) => {
  if (channel !== 'session.event') return emitBatch(socket, channel, frames);
  emitBatch(
    socket,
    channel,
    frames.map((frame) => {
      if (frame.event.type !== 'stream.chunk') return frame;
      const { seq: _seq, ...withoutSeq } = frame;
      return withoutSeq as typeof frame;
    }),
  );
};

/**
 * R2.5/R2.6: a long replay loses durable events and covers the hole with a "compacted" skip, as if
 * retention had removed chunks: every third frame of a replay batch is left out.
 */
const durableAnnouncedAsCompacted: BatchWriter = (socket, channel, frames) => {
  if (channel !== 'replay' || frames.length < 3) return emitBatch(socket, channel, frames);
  const kept: typeof frames = [];
  let dropped: (typeof frames)[number] | undefined;
  frames.forEach((frame, i) => {
    if (i % 3 === 1) {
      dropped = frame;
      return;
    }
    kept.push(dropped && !frame.skipped ? { ...frame, skipped: { fromSeq: dropped.seq, toSeq: dropped.seq, reason: 'compacted' as const } } : frame);
    dropped = undefined;
  });
  emitBatch(socket, channel, kept);
};

/**
 * R1.6/R1.7: chat.send's text is not bounded, so an oversized message starts a run (and creates its
 * session) instead of being refused.
 */
function unboundedChatText<E extends RequestName>(event: E, params: unknown): Validation<RequestParams<E>> {
  if (event !== 'chat.send' || typeof params !== 'object' || params === null) return validateRequestParams(event, params);
  const text = (params as { text?: unknown }).text;
  if (typeof text !== 'string' || text.length <= MAX_CHAT_TEXT_LENGTH) return validateRequestParams(event, params);
  const checked = validateRequestParams(event, { ...params, text: text.slice(0, MAX_CHAT_TEXT_LENGTH) });
  return checked.ok ? { ok: true, value: { ...checked.value, text } as RequestParams<E> } : checked;
}

/** R3.4: terminal mirrors are dropped during back-off too, leaving other clients' tool cards open. */
const dropTerminalMirrorsUnderPressure: MirrorRule = (ctx) => (ctx.backoffActive && !ctx.runScoped ? 'suppress' : decideMirror(ctx));

/**
 * R4.2 (the seed bug): run.end and the terminal sessions.changed go out while the projection still
 * shows the run active; only the internal cleanup, scheduled afterwards, clears it.
 */
const reviveActiveRunAfterTerminal: RunEndOrder = async (steps) => {
  await steps.appendRunEnd();
  const stale = steps.row();
  steps.clearProjection();
  steps.broadcastRow();
  steps.replaceRow({ ...stale, revision: steps.row().revision });
  steps.recordTerminal();
  steps.afterCleanup(() => {
    if (steps.row().activeRunId === steps.runId) steps.clearProjection();
  });
};

/** R5.2: a heartbeat on a busy lane aborts the active run and runs. */
const heartbeatInterruptsBusyLane: HeartbeatRule = (situation) => {
  if (!situation.laneBusy) return skipBusyLanes(situation);
  return situation.inFlight >= situation.maxInFlight ? { action: 'skip', reason: 'requests-in-flight' } : { action: 'interrupt' };
};

/** R5.2: a busy lane is reported as the global requests-in-flight. */
const heartbeatGlobalSkipReason: HeartbeatRule = (situation) => {
  const decision = skipBusyLanes(situation);
  return decision.action === 'skip' ? { action: 'skip', reason: 'requests-in-flight' } : decision;
};

/** R1.3: join's since is not validated but coerced with Number(), as buggy gateways did. */
function coerceSince<E extends RequestName>(event: E, params: unknown): Validation<RequestParams<E>> {
  if (event !== 'join' || typeof params !== 'object' || params === null) return validateRequestParams(event, params);
  const { since, ...rest } = params as Record<string, unknown>;
  const checked = validateRequestParams('join', rest);
  if (!checked.ok || since === undefined) return checked as Validation<RequestParams<E>>;
  return { ok: true, value: { ...checked.value, since: Number(since) } as RequestParams<E> };
}

export const mutants = {
  resyncAtOldestMinusOne: { breaks: 'R2.4', description: 'resyncs at since = oldestCursor - 1', pieces: { resumeRule: resyncAtOldestMinusOne } },
  replayNothingWhenAhead: { breaks: 'R2.4', description: 'answers a future cursor with an empty replay', pieces: { resumeRule: replayNothingWhenAhead } },
  partialReplayWhenTooOld: {
    breaks: 'R2.4',
    description: 'replays a partial range for a cursor that is too old',
    pieces: { resumeRule: partialReplayWhenTooOld },
  },
  omitSeqOnChunks: { breaks: 'R2.1', description: 'sends live stream chunks without seq', pieces: { writeBatch: omitSeqOnChunks } },
  dropTerminalMirrorsUnderPressure: {
    breaks: 'R3.4',
    description: 'drops terminal tool mirrors during back-off',
    options: { mirrorRule: dropTerminalMirrorsUnderPressure },
  },
  reviveActiveRunAfterTerminal: {
    breaks: 'R4.2',
    description: 'broadcasts the terminal row while the projection still shows the run active',
    pieces: { runEndOrder: reviveActiveRunAfterTerminal },
  },
  heartbeatInterruptsBusyLane: {
    breaks: 'R5.2',
    description: 'a heartbeat aborts the run of a busy lane',
    pieces: { heartbeatRule: heartbeatInterruptsBusyLane },
  },
  heartbeatGlobalSkipReason: { breaks: 'R5.2', description: 'reports a busy lane as requests-in-flight', pieces: { heartbeatRule: heartbeatGlobalSkipReason } },
  unvalidatedSince: { breaks: 'R1.3', description: 'coerces join.since with Number() instead of validating it', pieces: { validateRequest: coerceSince } },
  durableAnnouncedAsCompacted: {
    breaks: 'R2.6',
    description: 'leaves durable events out of long replays and announces the holes as compacted',
    pieces: { writeBatch: durableAnnouncedAsCompacted },
  },
  unboundedChatText: {
    breaks: 'R1.6',
    description: 'accepts chat.send text over the schema bound (and creates the session)',
    pieces: { validateRequest: unboundedChatText },
  },
} satisfies Record<string, Mutant>;

export type MutantName = keyof typeof mutants;
