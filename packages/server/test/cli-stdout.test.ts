import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createHarness } from './helpers/wire.js';

const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const h = createHarness();
let child: ChildProcess | undefined;

afterEach(async () => {
  await h.closeAll();
  if (child && child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((resolve) => child!.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }
  child = undefined;
});

/**
 * Start the CLI with one of its output pipes closed on our side before it writes anything, and
 * resolve with the URL read from the other one (stdout prints it; the `gateway ready` log has it too).
 */
function startWithClosed(
  closed: 'stdout' | 'stderr',
  args: string[],
): Promise<{ url: string; exit: Promise<{ code: number | null; signal: string | null; stderr: string }> }> {
  const proc = spawn(process.execPath, [CLI, 'serve', '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  child = proc;
  const open = (closed === 'stdout' ? proc.stderr : proc.stdout) as Readable;
  (closed === 'stdout' ? proc.stdout : proc.stderr)!.destroy();
  let text = '';
  open.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const exit = new Promise<{ code: number | null; signal: string | null; stderr: string }>((resolve) =>
    proc.once('exit', (code, signal) => resolve({ code, signal, stderr: closed === 'stdout' ? text : '' })),
  );
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no URL within 10 s; read: ${text}`)), 10_000);
    const onData = () => {
      const match = /(http:\/\/127\.0\.0\.1:\d+)/.exec(text);
      if (!match) return;
      clearTimeout(timer);
      open.off('data', onData);
      resolve({ url: match[1]!, exit });
    };
    open.on('data', onData);
    void exit.then((result) => {
      clearTimeout(timer);
      reject(new Error(`the gateway exited (${result.code ?? result.signal}) before printing its URL: ${text}`));
    });
  });
}

/** The gateway still answers: HTTP and a Socket.IO connection that gets its hello and a join. */
async function assertServing(url: string): Promise<void> {
  expect((await fetch(`${url}/healthz`)).status).toBe(200);
  const client = await h.client(url);
  const joined = await client.request('join', { sessionId: 'after-closed-output' });
  expect(joined).toMatchObject({ ok: true, data: { sessionId: 'after-closed-output', cursor: 0 } });
  client.close();
}

describe.skipIf(!existsSync(CLI))('agent-gateway serve with a closed output pipe', () => {
  it('keeps serving when stdout is closed before the URL lines are written (serve | head -c 10)', async () => {
    // Two stdout lines: the URL and the control-surface notice. Both writes fail with EPIPE.
    const { url, exit } = await startWithClosed('stdout', ['--conformance-token', 'x', '--log-level', 'info']);
    await assertServing(url);
    await assertServing(url);
    child!.kill('SIGTERM');
    const result = await exit;
    expect(result.stderr).not.toContain('EPIPE');
    expect({ code: result.code, signal: result.signal }).toEqual({ code: 0, signal: null });
  });

  it('keeps serving when stderr, where the logs go, is closed', async () => {
    // Debug level logs every connection, so each client below makes the gateway write to the closed pipe.
    const { url, exit } = await startWithClosed('stderr', ['--log-level', 'debug']);
    await assertServing(url);
    await assertServing(url);
    child!.kill('SIGTERM');
    const result = await exit;
    expect({ code: result.code, signal: result.signal }).toEqual({ code: 0, signal: null });
  });
});
