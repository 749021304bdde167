import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const childScript = fileURLToPath(new URL('./node-child.ts', import.meta.url));

/** A cluster gateway in a child process. */
export interface NodeProcess {
  nodeId: string;
  url: string;
  /** SIGKILL: no cleanup of any kind, as a crashed machine. Resolves once the process is gone. */
  kill(): Promise<void>;
  /** A clean stop (the gateway closes, frees its sessions). */
  close(): Promise<void>;
}

export async function startNode(settings: { url: string; prefix: string; nodeId: string; leaseTtlMs: number; controlToken: string }): Promise<NodeProcess> {
  const child: ChildProcess = fork(childScript, [JSON.stringify(settings)], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`node ${settings.nodeId} did not start`)), 20_000);
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`node ${settings.nodeId} exited with ${String(code)}`)));
    child.on('message', (message: { type: string; url?: string }) => {
      if (message.type === 'ready' && message.url) {
        clearTimeout(timer);
        resolve(message.url);
      }
    });
  });
  return {
    nodeId: settings.nodeId,
    url,
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    close: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      child.send({ type: 'close' });
      await exited;
      clearTimeout(timer);
    },
  };
}
