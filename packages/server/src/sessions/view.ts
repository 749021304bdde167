import {
  MAX_ACTIVE_RUN_TOOLS,
  MAX_SNAPSHOT_MESSAGES,
  type ActiveRun,
  type RunTrigger,
  type SnapshotMessage,
  type SnapshotToolCall,
} from '@agent-gateway/schema';
import type { LogEntry } from '../log/index.js';
import { boundedPrefix } from './text-bounds.js';

/**
 * The part of a session a snapshot needs beyond the retained events: the conversation and the run in
 * progress with its streamed text and tool calls. Built as events are appended, so it is complete
 * even when retention has compacted the chunks it was built from.
 */
export class SessionView {
  messages: SnapshotMessage[] = [];
  activeRun: ActiveRun | null = null;
  /** JSON bytes of `messages`, kept within `maxBytes` by dropping the oldest. */
  private messageBytes: number[] = [];
  private totalBytes = 0;

  /** @param maxBytes bound of the conversation kept for snapshots and agent history (JSON bytes). */
  constructor(private readonly maxBytes: number = Number.POSITIVE_INFINITY) {}

  /** JSON bytes of the conversation held. */
  get bytes(): number {
    return this.totalBytes;
  }

  apply(entries: readonly LogEntry[]): void {
    for (const { seq, event } of entries) {
      switch (event.type) {
        case 'message':
          this.pushMessage({
            messageId: event.messageId,
            role: event.role,
            ...boundedText(event.text),
            ...(event.runId ? { runId: event.runId } : {}),
            seq,
            at: event.at,
          });
          break;
        case 'response':
          this.pushMessage({
            messageId: event.messageId,
            role: 'assistant',
            ...boundedText(event.text),
            ...(event.truncated ? { truncated: true } : {}),
            runId: event.runId,
            seq,
            at: event.at,
          });
          break;
        case 'run.start':
          this.activeRun = { runId: event.runId, status: 'running', trigger: event.trigger, startedAt: event.at, text: '', tools: [] };
          break;
        case 'stream.chunk':
          if (this.activeRun?.runId === event.runId && !this.activeRun.truncated) {
            const text = this.activeRun.text + event.text;
            const bounded = boundedText(text);
            this.activeRun.text = bounded.text;
            if (bounded.truncated) this.activeRun.truncated = true;
          }
          break;
        case 'tool':
          if (this.activeRun?.runId === event.runId) this.updateTool(this.activeRun.tools, event);
          break;
        case 'run.end':
          if (this.activeRun?.runId === event.runId) this.activeRun = null;
          break;
        default:
          break;
      }
    }
  }

  reset(): void {
    this.messages = [];
    this.messageBytes = [];
    this.totalBytes = 0;
    this.activeRun = null;
  }

  /** The active run for a snapshot; a run still waiting in the lane is shown as queued. */
  snapshotActiveRun(queued: { runId: string; trigger: RunTrigger; createdAt: number } | undefined): ActiveRun | null {
    if (this.activeRun) return { ...this.activeRun, tools: this.activeRun.tools.map((t) => ({ ...t })) };
    if (queued) return { runId: queued.runId, status: 'queued', trigger: queued.trigger, startedAt: queued.createdAt, text: '', tools: [] };
    return null;
  }

  private pushMessage(message: SnapshotMessage): void {
    const bytes = jsonBytes(message);
    this.messages.push(message);
    this.messageBytes.push(bytes);
    this.totalBytes += bytes;
    // The newest message always stays, whatever its size; older ones go first.
    let drop = 0;
    while (this.messages.length - drop > 1 && (this.totalBytes > this.maxBytes || this.messages.length - drop > MAX_SNAPSHOT_MESSAGES)) {
      this.totalBytes -= this.messageBytes[drop]!;
      drop += 1;
    }
    if (drop > 0) {
      this.messages.splice(0, drop);
      this.messageBytes.splice(0, drop);
    }
  }

  private updateTool(
    tools: SnapshotToolCall[],
    event: { toolCallId: string; toolName: string; phase: SnapshotToolCall['phase']; input?: unknown; output?: unknown },
  ): void {
    let tool = tools.find((t) => t.toolCallId === event.toolCallId);
    if (!tool) {
      if (tools.length >= MAX_ACTIVE_RUN_TOOLS) return;
      tool = { toolCallId: event.toolCallId, toolName: event.toolName, phase: event.phase };
      tools.push(tool);
    }
    tool.phase = event.phase;
    if (event.input !== undefined) tool.input = event.input;
    if (event.output !== undefined) tool.output = event.output;
  }
}

/** A text within the protocol's bound, flagged when it had to be cut. */
function boundedText(text: string): { text: string; truncated?: true } {
  const bounded = boundedPrefix(text);
  return bounded.length < text.length ? { text: bounded, truncated: true } : { text };
}

export function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value), 'utf8');
}
