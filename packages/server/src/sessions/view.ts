import {
  MAX_ACTIVE_RUN_TOOLS,
  MAX_EVENT_TEXT_LENGTH,
  MAX_SNAPSHOT_MESSAGES,
  type ActiveRun,
  type RunTrigger,
  type SnapshotMessage,
  type SnapshotToolCall,
} from '@agent-gateway/schema';
import type { LogEntry } from '../log/index.js';

/**
 * The part of a session a snapshot needs beyond the retained events: the conversation and the run in
 * progress with its streamed text and tool calls. Built as events are appended, so it is complete
 * even when retention has compacted the chunks it was built from.
 */
export class SessionView {
  messages: SnapshotMessage[] = [];
  activeRun: ActiveRun | null = null;

  apply(entries: readonly LogEntry[]): void {
    for (const { seq, event } of entries) {
      switch (event.type) {
        case 'message':
          this.pushMessage({
            messageId: event.messageId,
            role: event.role,
            text: event.text,
            ...(event.runId ? { runId: event.runId } : {}),
            seq,
            at: event.at,
          });
          break;
        case 'response':
          this.pushMessage({ messageId: event.messageId, role: 'assistant', text: event.text, runId: event.runId, seq, at: event.at });
          break;
        case 'run.start':
          this.activeRun = { runId: event.runId, status: 'running', trigger: event.trigger, startedAt: event.at, text: '', tools: [] };
          break;
        case 'stream.chunk':
          if (this.activeRun?.runId === event.runId && this.activeRun.text.length + event.text.length <= MAX_EVENT_TEXT_LENGTH)
            this.activeRun.text += event.text;
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
    this.activeRun = null;
  }

  /** The active run for a snapshot; a run still waiting in the lane is shown as queued. */
  snapshotActiveRun(queued: { runId: string; trigger: RunTrigger; createdAt: number } | undefined): ActiveRun | null {
    if (this.activeRun) return { ...this.activeRun, tools: this.activeRun.tools.map((t) => ({ ...t })) };
    if (queued) return { runId: queued.runId, status: 'queued', trigger: queued.trigger, startedAt: queued.createdAt, text: '', tools: [] };
    return null;
  }

  private pushMessage(message: SnapshotMessage): void {
    this.messages.push(message);
    if (this.messages.length > MAX_SNAPSHOT_MESSAGES) this.messages.splice(0, this.messages.length - MAX_SNAPSHOT_MESSAGES);
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
