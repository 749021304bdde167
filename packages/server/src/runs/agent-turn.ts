import { ErrorCodes, type SessionEvent, type WireError } from '@agent-gateway/schema';
import type { Logger } from 'pino';
import type { Agent, AgentMessage, AgentOutput } from '../agent/agent.js';
import type { RunRecord } from './registry.js';

/** How a run ended, and the events that close what it left open. */
export type RunOutcome =
  { status: 'completed'; tail: SessionEvent[] } | { status: 'aborted'; tail: SessionEvent[] } | { status: 'failed'; error: WireError; tail: SessionEvent[] };

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

/**
 * Turns agent output into log events: chunks into `stream.chunk` of the open stream, the close of a
 * stream into `stream.end` carrying its whole text, tool phases into `tool`. The run's response is
 * the text of all its streams.
 */
class StreamRecorder {
  private open: { streamId: string; chunks: number; text: string } | undefined;
  private streamIndex = 0;
  response = '';

  constructor(private readonly runId: string) {}

  record(output: AgentOutput, at: number): SessionEvent[] {
    if (output.type === 'chunk') {
      const stream = (this.open ??= { streamId: `${this.runId}-s${this.streamIndex++}`, chunks: 0, text: '' });
      const index = stream.chunks++;
      stream.text += output.text;
      return [{ type: 'stream.chunk', runId: this.runId, streamId: stream.streamId, index, text: output.text }];
    }
    if (output.type === 'stream.end') return this.close();
    const { type: _tool, ...tool } = output;
    return [{ type: 'tool', runId: this.runId, ...tool, at }];
  }

  /** The `stream.end` of the open stream, if one is open. */
  close(): SessionEvent[] {
    const stream = this.open;
    if (!stream) return [];
    this.open = undefined;
    this.response += stream.text;
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
  try {
    const turn = { sessionId: input.sessionId, runId: run.runId, trigger: run.trigger, text: input.text, history: input.history, signal };
    for await (const output of agent.run(turn)) {
      if (signal.aborted) break;
      const events = streams.record(output, input.now());
      if (events.length > 0) await input.append(events);
    }
    if (signal.aborted) throw signal.reason;
    const closing = streams.close();
    if (closing.length > 0) await input.append(closing);
    await input.append([{ type: 'response', runId: run.runId, messageId: `${run.runId}-reply`, text: streams.response, at: input.now() }]);
    return { status: 'completed', tail: [] };
  } catch (error) {
    const tail = streams.close();
    if (signal.aborted) return { status: 'aborted', tail };
    input.logger.warn({ err: error, runId: run.runId, sessionId: input.sessionId }, 'agent failed');
    const wire: WireError = { code: ErrorCodes.AgentFailed, message: 'The agent failed while answering.', retryable: true };
    tail.push({ type: 'error', runId: run.runId, error: wire, at: input.now() });
    return { status: 'failed', error: wire, tail };
  }
}
