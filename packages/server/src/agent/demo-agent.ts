import { delay, type Agent, type AgentOutput, type AgentTurn } from './agent.js';

export interface DemoAgentOptions {
  /** Pause between streamed chunks (default 30 ms so the stream is visible; tests use 0-1 ms). */
  chunkDelayMs?: number;
  /** Pause while the tool "works" (default 60 ms). */
  toolDelayMs?: number;
}

function words(text: string): string[] {
  return text.split(/\s+/).filter((w) => w.length > 0);
}

/**
 * A deterministic agent with no network and no randomness: the same input always yields the same
 * chunks and tool calls. Each reply streams a few words at a time and makes one `word_count` tool
 * call (start, update, result) in the middle, so every client feature has real traffic to show.
 */
export function createDemoAgent(options: DemoAgentOptions = {}): Agent {
  const chunkDelayMs = options.chunkDelayMs ?? 30;
  const toolDelayMs = options.toolDelayMs ?? 60;
  return {
    name: 'demo',
    async *run(turn: AgentTurn): AsyncGenerator<AgentOutput> {
      const userWords = words(turn.text);
      const echo = turn.text.length > 200 ? `${turn.text.slice(0, 200)}…` : turn.text;
      const opening = `You said: "${echo}". Let me count the words in that.`;
      for (const chunk of chunked(opening)) {
        yield { type: 'chunk', text: chunk };
        await delay(chunkDelayMs, turn.signal);
      }
      const toolCallId = `${turn.runId}-t1`;
      yield { type: 'tool', toolCallId, toolName: 'word_count', phase: 'start', input: { text: echo } };
      await delay(toolDelayMs, turn.signal);
      yield {
        type: 'tool',
        toolCallId,
        toolName: 'word_count',
        phase: 'update',
        progress: { counted: Math.floor(userWords.length / 2), of: userWords.length },
      };
      await delay(toolDelayMs, turn.signal);
      yield { type: 'tool', toolCallId, toolName: 'word_count', phase: 'result', output: { words: userWords.length, characters: turn.text.length } };
      const turnNumber = turn.history.filter((m) => m.role === 'user').length;
      const closing = ` It has ${userWords.length} word${userWords.length === 1 ? '' : 's'} and ${turn.text.length} characters. This is message ${turnNumber} of our conversation.`;
      for (const chunk of chunked(closing)) {
        yield { type: 'chunk', text: chunk };
        await delay(chunkDelayMs, turn.signal);
      }
    },
  };
}

/** Split text into chunks of two words, keeping the spaces so the chunks concatenate back. */
function chunked(text: string): string[] {
  const parts = text.match(/\s*\S+(\s+\S+)?/g) ?? [text];
  return parts;
}
