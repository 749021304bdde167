import { ServerEvents, type EventFrame, type ToolFrame } from '@agent-gateway/schema';
import type { ClientError } from './errors.js';
import { isValidFrame, validateInbound } from './validation.js';

/** The server events that carry frames of session logs. */
export type FrameEventName = 'replay' | 'session.event' | 'session.tool';

/** One frame of a batch: usable, or failed validation (with whatever could be read of where it belongs). */
export type ReadFrame = { ok: true; frame: EventFrame | ToolFrame } | { ok: false; sessionId: string | undefined; seq: unknown; epoch: unknown };

export interface ReadBatch {
  frames: ReadFrame[];
  /** Set when the batch failed validation (the frames that did not are marked in `frames`). */
  error?: ClientError;
  /** The batch was not even a list: any followed session may have lost a frame. */
  unreadable: boolean;
}

function field(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
}

/**
 * Read a batch of frames. A batch that fails validation is not dropped whole: each frame that is
 * valid on its own is still used, and each one that is not is reported with its session and seq
 * when they can be read, so that session sees a gap at that seq instead of silently missing it.
 */
export function readFrameBatch(event: FrameEventName, payload: unknown, validating: boolean): ReadBatch {
  if (!validating) {
    const frames = Array.isArray(payload) ? (payload as Array<EventFrame | ToolFrame>) : [];
    return { frames: frames.map((frame) => ({ ok: true, frame })), unreadable: !Array.isArray(payload) };
  }
  const checked = validateInbound(`server event "${event}"`, ServerEvents[event].payload, payload);
  if (checked.ok) return { frames: (payload as Array<EventFrame | ToolFrame>).map((frame) => ({ ok: true, frame })), unreadable: false };
  if (!Array.isArray(payload)) return { frames: [], error: checked.error, unreadable: true };
  const kind = event === 'session.tool' ? 'ToolFrame' : 'EventFrame';
  const frames = (payload as unknown[]).map((item): ReadFrame => {
    if (isValidFrame(kind, item)) return { ok: true, frame: item as EventFrame | ToolFrame };
    const sessionId = field(item, 'sessionId');
    return { ok: false, sessionId: typeof sessionId === 'string' ? sessionId : undefined, seq: field(item, 'seq'), epoch: field(item, 'epoch') };
  });
  return { frames, error: checked.error, unreadable: false };
}
