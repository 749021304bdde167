import type { ScriptStep } from '@agent-gateway/schema';
import { delay, type Agent, type AgentOutput } from './agent.js';

/**
 * Named gates that `hold` steps of scripted runs wait on, opened by control `run.release`. A gate
 * opened before anyone waits stays open, so release-then-hold cannot deadlock a test.
 */
export class Gates {
  private readonly gates = new Map<string, { open: boolean; waiters: Array<() => void> }>();

  private entry(sessionId: string, gate: string) {
    const key = `${sessionId}\u0000${gate}`;
    let entry = this.gates.get(key);
    if (!entry) this.gates.set(key, (entry = { open: false, waiters: [] }));
    return entry;
  }

  open(sessionId: string, gate: string): void {
    const entry = this.entry(sessionId, gate);
    entry.open = true;
    for (const waiter of entry.waiters.splice(0)) waiter();
  }

  wait(sessionId: string, gate: string, signal: AbortSignal): Promise<void> {
    const entry = this.entry(sessionId, gate);
    if (entry.open) return Promise.resolve();
    return new Promise((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason);
      const onAbort = () => reject(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      entry.waiters.push(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      });
    });
  }
}

/** An agent that plays a fixed script: chunk runs (each a stream of its own), tool phases, waits and holds. */
export function createScriptedAgent(steps: readonly ScriptStep[], gates: Gates): Agent {
  return {
    name: 'script',
    async *run(turn): AsyncGenerator<AgentOutput> {
      for (const step of steps) {
        if (turn.signal.aborted) return;
        switch (step.type) {
          case 'chunks':
            for (let i = 0; i < step.count; i++) {
              yield { type: 'chunk', text: step.text };
              // Yield to the event loop now and then so a long flood does not starve other sockets.
              if (i % 256 === 255) await delay(0, turn.signal);
            }
            if (!step.open) yield { type: 'stream.end' };
            break;
          case 'tool': {
            const { type: _step, ...tool } = step;
            yield { type: 'tool', ...tool };
            break;
          }
          case 'wait':
            await delay(step.ms, turn.signal);
            break;
          case 'hold':
            await gates.wait(turn.sessionId, step.gate, turn.signal);
            break;
        }
      }
    },
  };
}
