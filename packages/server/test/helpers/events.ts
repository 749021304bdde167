import type { SessionEvent } from '@agent-gateway/schema';

export function messages(count: number, prefix = 'm'): SessionEvent[] {
  return Array.from({ length: count }, (_, i) => ({
    type: 'message' as const,
    messageId: `${prefix}${i + 1}`,
    role: 'user' as const,
    text: `text ${i + 1}`,
    at: 1_700_000_000_000 + i,
  }));
}

export function chunk(runId: string, index: number, text = 'x'): SessionEvent {
  return { type: 'stream.chunk', runId, streamId: `${runId}-s0`, index, text };
}
