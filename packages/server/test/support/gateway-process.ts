import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { GatewayOptions } from '../../src/index.js';
import type { MutantName } from '../../src/testing/index.js';

const childScript = fileURLToPath(new URL('./gateway-child.ts', import.meta.url));

/** A gateway running in a child process, whose event loop the test can block on demand. */
export interface GatewayProcess {
  url: string;
  /** Busy-loop the gateway's event loop for `ms`; resolves once the gateway is responsive again. */
  block(ms: number): Promise<void>;
  /** The gateway process's resident set and V8 heap in use, in bytes. */
  memory(): Promise<{ rss: number; heapUsed: number }>;
  close(): Promise<void>;
}

export async function startGatewayProcess(options: GatewayOptions, mutant?: MutantName, timeoutMs = 20_000): Promise<GatewayProcess> {
  const child: ChildProcess = fork(childScript, [JSON.stringify(options), ...(mutant ? [mutant] : [])], {
    execArgv: ['--import', 'tsx', '--expose-gc'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const replies = new Map<number, (message: { rss?: number; heapUsed?: number }) => void>();
  let nextId = 0;
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('gateway process did not start')), timeoutMs);
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`gateway process exited with ${String(code)}`)));
    child.on('message', (message: { type: string; url?: string; id?: number; rss?: number; heapUsed?: number }) => {
      if (message.type === 'ready' && message.url) {
        clearTimeout(timer);
        resolve(message.url);
      } else if ((message.type === 'blocked' || message.type === 'memory') && message.id !== undefined) {
        replies.get(message.id)?.(message);
        replies.delete(message.id);
      }
    });
  });
  return {
    url,
    block(ms) {
      const id = nextId++;
      return new Promise<void>((resolve) => {
        replies.set(id, () => resolve());
        child.send({ type: 'block', ms, id });
      });
    },
    memory() {
      const id = nextId++;
      return new Promise((resolve) => {
        replies.set(id, (message) => resolve({ rss: message.rss ?? 0, heapUsed: message.heapUsed ?? 0 }));
        child.send({ type: 'memory', id });
      });
    },
    close() {
      if (child.exitCode !== null) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.send({ type: 'close' });
      });
    },
  };
}
