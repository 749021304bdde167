import { ErrorCodes, formatIssues, isTerminalToolPhase, MAX_EVENT_TEXT_LENGTH, validate, type SessionEvent, type WireError } from '@agent-gateway/schema';
import type { Logger } from 'pino';
import type { Agent, AgentMessage, AgentOutput } from '../agent/agent.js';
import { AppendBatcher } from './append-batcher.js';
import type { RunRecord } from './registry.js';
import { boundedPrefix, splitText } from '../sessions/text-bounds.js';

/** How a run ended, and the events that close what it left open. */
export type RunOutcome =
  { status: 'completed'; tail: SessionEvent[] } | { status: 'aborted'; tail: SessionEvent[] } | { status: 'failed'; error: WireError; tail: SessionEvent[] };

/**
 * A terminal `error` phase for each tool call still open (id → tool name) when a run ends `status`:
 * every call gets one terminal phase (R3.1), so no client keeps a card that never closes.
 */
export function closeToolCalls(runId: string, open: ReadonlyMap<string, string>, status: RunOutcome['status'], at: number): SessionEvent[] {
  const error: WireError =
    status === 'aborted'
      ? { code: ErrorCodes.RunAborted, message: 'The run was aborted before this tool call finished.', retryable: false }
      : { code: ErrorCodes.AgentFailed, message: 'The run ended before this tool call finished.', retryable: status === 'failed' };
  return [...open].map(([toolCallId, toolName]) => ({ type: 'tool', runId, toolCallId, toolName, phase: 'error', error, at }));
}

export interface AgentTurnInput {
  run: RunRecord;
  agent: Agent;
  sessionId: string;
  /** The user text of the turn ('' for scripted turns). */
  text: string;
  history: AgentMessage[];
  /** Append events to the session log (in order, awaited one call at a time). */
  append(events: SessionEvent[]): Promise<unknown>;
  logger: Logger;
  now(): number;
}

/** The agent produced something no protocol event can carry; the run fails with AGENT_FAILED. */
export class InvalidAgentOutput extends Error {}

/**
 * Turns agent output into log events that always fit the protocol: chunks into `stream.chunk` of the
 * open stream, the close of a stream into `stream.end` carrying its whole text, tool phases into
 * `tool` (checked against the schema). No stream holds more than MAX_EVENT_TEXT_LENGTH characters:
 * output beyond it continues in the run's next stream (and an oversized chunk is cut into several),
 * so every `stream.end` carries its stream's whole text. The run's response is the text of all its
 * streams; past the bound `response` carries its beginning and `truncated: true`.
 */
class StreamRecorder {
  private open: { streamId: string; chunks: number; text: string } | undefined;
  /** Tool calls started and not yet in a terminal phase, by id: the run closes them if it ends first. */
  private readonly openTools = new Map<string, string>();
  private streamIndex = 0;
  /** The beginning of the response, within the text bound; `truncated` once more was streamed. */
  response = '';
  truncated = false;

  constructor(private readonly runId: string) {}

  record(output: AgentOutput, at: number): SessionEvent[] {
    if (output.type === 'chunk') {
      if (typeof output.text !== 'string') throw new InvalidAgentOutput('a chunk without text');
      const events: SessionEvent[] = [];
      for (const piece of splitText(output.text)) {
        if (this.open && this.open.text.length + piece.length > MAX_EVENT_TEXT_LENGTH) events.push(...this.close());
        const stream = (this.open ??= { streamId: `${this.runId}-s${this.streamIndex++}`, chunks: 0, text: '' });
        const index = stream.chunks++;
        stream.text += piece;
        events.push({ type: 'stream.chunk', runId: this.runId, streamId: stream.streamId, index, text: piece });
      }
      return events;
    }
    if (output.type === 'stream.end') return this.close();
    const { type: _tool, ...tool } = output;
    const event: SessionEvent = { type: 'tool', runId: this.runId, ...tool, at };
    const checked = validate('SessionEvent', event);
    if (!checked.ok) throw new InvalidAgentOutput(`an invalid tool event: ${formatIssues(checked.issues)}`);
    if (isTerminalToolPhase(tool.phase)) this.openTools.delete(tool.toolCallId);
    else this.openTools.set(tool.toolCallId, tool.toolName);
    return [event];
  }

  /**
   * A terminal `error` phase for every tool call still open: every call gets one terminal phase
   * (R3.1), so no client is left with a card that never closes when a run ends under it.
   */
  closeOpenTools(status: RunOutcome['status'], at: number): SessionEvent[] {
    const events = closeToolCalls(this.runId, this.openTools, status, at);
    this.openTools.clear();
    return events;
  }

  /** The `stream.end` of the open stream, if one is open. */
  close(): SessionEvent[] {
    const stream = this.open;
    if (!stream) return [];
    this.open = undefined;
    if (!this.truncated) {
      const joined = this.response + stream.text;
      this.response = boundedPrefix(joined);
      this.truncated = this.response.length < joined.length;
    }
    return [{ type: 'stream.end', runId: this.runId, streamId: stream.streamId, chunkCount: stream.chunks, text: stream.text }];
  }
}

/**
 * Play one agent turn into the log, up to (not including) run.end: the run lifecycle ends the run
 * with the outcome. An abort stops the agent at its next output; a throw fails the run.
 */
export async function playAgentTurn(input: AgentTurnInput, signal: AbortSignal): Promise<RunOutcome> {
  const { run, agent } = input;
  const streams = new StreamRecorder(run.runId);
  const log = new AppendBatcher(input.append);
  try {
    const turn = { sessionId: input.sessionId, runId: run.runId, trigger: run.trigger, text: input.text, history: input.history, signal };
    for await (const output of agent.run(turn)) {
      if (signal.aborted) break;
      const events = streams.record(output, input.now());
      if (events.length > 0) await log.add(events);
    }
    if (signal.aborted) throw signal.reason;
    await log.add(streams.close());
    await log.add(streams.closeOpenTools('completed', input.now()));
    await log.add([
      {
        type: 'response',
        runId: run.runId,
        messageId: `${run.runId}-reply`,
        text: streams.response,
        ...(streams.truncated ? { truncated: true as const } : {}),
        at: input.now(),
      },
    ]);
    await log.flush();
    return { status: 'completed', tail: [] };
  } catch (error) {
    // What was produced before the failure or abort is appended before the events that close the run.
    await log.flush().catch(() => undefined);
    const tail = streams.close();
    if (signal.aborted) return { status: 'aborted', tail: [...tail, ...streams.closeOpenTools('aborted', input.now())] };
    input.logger.warn({ err: error, runId: run.runId, sessionId: input.sessionId }, 'agent failed');
    const wire: WireError =
      error instanceof InvalidAgentOutput
        ? { code: ErrorCodes.AgentFailed, message: `The agent produced output the protocol cannot carry: ${error.message}`.slice(0, 4096), retryable: false }
        : { code: ErrorCodes.AgentFailed, message: 'The agent failed while answering.', retryable: true };
    tail.push(...streams.closeOpenTools('failed', input.now()), { type: 'error', runId: run.runId, error: wire, at: input.now() });
    return { status: 'failed', error: wire, tail };
  }
}
