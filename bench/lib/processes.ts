/*
 * Server processes of the benchmarks and the soak run: the gateway as shipped (the CLI), the gateway
 * built with createGateway() in a host process that reports its own memory, and the raw Socket.IO
 * baseline. Every one is a fresh child process that prints its URL on stdout.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { MutantName } from '@agent-gateway/server/testing';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CLI = `${ROOT}packages/server/dist/cli.js`;
export const CONTROL_TOKEN = 'bench-control';

/** Transport options measured on and off: ws uses bufferutil when it is installed unless told not to. */
export type Transport = 'ws' | 'ws+bufferutil';

export interface ServerProcess {
  url: string;
  child: ChildProcess;
  /** Heap and RSS after two full collections (host and raw only; needs --expose-gc). */
  memory(): Promise<{ memory: NodeJS.MemoryUsage; resources: string[] }>;
  /** Host only: CPU profile of the window between the two calls, written to `path`. */
  profileStart(): Promise<void>;
  profileStop(path: string): Promise<void>;
  /** RSS from /proc, for any child. */
  rss(): Promise<number>;
  stop(): Promise<void>;
}

export interface SpawnOptions {
  transport?: Transport;
  nodeFlags?: string[];
  env?: Record<string, string>;
}

/** Children still running: killed if this process exits without stopping them (a failed run). */
const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

function transportEnv(transport: Transport = 'ws'): Record<string, string> {
  return transport === 'ws' ? { WS_NO_BUFFER_UTIL: '1', WS_NO_UTF_8_VALIDATE: '1' } : {};
}

async function start(script: string, args: string[], options: SpawnOptions & { ipc: boolean }): Promise<ServerProcess> {
  const child = spawn(process.execPath, [...(options.nodeFlags ?? []), script, ...args], {
    stdio: ['ignore', 'pipe', 'inherit', ...(options.ipc ? (['ipc'] as const) : [])],
    env: { ...process.env, ...transportEnv(options.transport), ...options.env },
  });
  live.add(child);
  child.once('exit', () => live.delete(child));
  const stdout = child.stdout!;
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /(http:\/\/[^\s]+)/.exec(output);
      if (!match) return;
      stdout.off('data', onData);
      child.off('exit', onExit);
      resolve(match[1]!.replace(/\/$/, ''));
    };
    const onExit = (code: number | null) => reject(new Error(`${script} exited (${code}) before printing its URL: ${output}`));
    stdout.on('data', onData);
    child.once('exit', onExit);
  });
  // Keep draining stdout so a chatty child never blocks on a full pipe.
  stdout.resume();
  let nextId = 0;
  const ask = <T>(cmd: string, extra: Record<string, unknown> = {}): Promise<T> => {
    if (!options.ipc) return Promise.reject(new Error(`${script} has no IPC channel`));
    const id = ++nextId;
    return new Promise((resolve) => {
      const onMessage = (message: T & { id: number }) => {
        if (message.id !== id) return;
        child.off('message', onMessage);
        resolve(message);
      };
      child.on('message', onMessage);
      child.send({ id, cmd, ...extra });
    });
  };
  return {
    url,
    child,
    memory: () => ask<{ memory: NodeJS.MemoryUsage; resources: string[] }>('memory'),
    profileStart: () => ask<unknown>('profile-start').then(() => undefined),
    profileStop: (path) => ask<unknown>('profile-stop', { path }).then(() => undefined),
    rss: () => rssOf(child.pid!),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** The gateway as users run it: `agent-gateway serve` with the control surface on. */
export function startGatewayCli(args: string[] = [], options: SpawnOptions = {}): Promise<ServerProcess> {
  return start(CLI, ['serve', '--port', '0', '--control-token', CONTROL_TOKEN, '--log-level', 'error', ...args], { ...options, ipc: false });
}

export interface HostConfig {
  controlToken?: string;
  retention?: Record<string, number>;
  agent?: 'demo' | 'paced';
  demo?: { chunkDelayMs?: number; toolDelayMs?: number };
  logLevel?: string;
  heartbeat?: Record<string, unknown>;
  pressure?: Record<string, unknown>;
  idempotencyWindowMs?: number;
  /** A deliberately broken gateway from @agent-gateway/server/testing. */
  mutant?: MutantName;
}

/** The gateway from createGateway() in a host process that reports its heap, RSS and handles. */
export function startGatewayHost(config: HostConfig = {}, options: SpawnOptions = {}): Promise<ServerProcess> {
  return start(`${ROOT}bench/servers/gateway-host.mjs`, [JSON.stringify({ controlToken: CONTROL_TOKEN, ...config })], {
    ...options,
    nodeFlags: ['--expose-gc', ...(options.nodeFlags ?? [])],
    ipc: true,
  });
}

/** Plain Socket.IO doing the same delivery work with no protocol logic. */
export function startRawServer(options: SpawnOptions = {}): Promise<ServerProcess> {
  return start(`${ROOT}bench/servers/raw-server.mjs`, [], { ...options, nodeFlags: ['--expose-gc', ...(options.nodeFlags ?? [])], ipc: true });
}

export async function rssOf(pid: number): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const match = /VmRSS:\s+(\d+) kB/.exec(status);
  if (!match) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(match[1]) * 1024;
}
