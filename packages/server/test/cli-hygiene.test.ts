import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ProtocolErrorEvent } from '@agent-gateway/schema';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createHarness } from './helpers/wire.js';

/*
 * The shipped CLI as a process: it survives readers that go away, drains on SIGTERM, and takes its
 * principals, reserved prefixes, origins and metrics token from flags.
 */
const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const h = createHarness();
const children: ChildProcess[] = [];

afterEach(async () => {
  await h.closeAll();
  for (const child of children.splice(0)) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    if (child.pid && child.spawnargs[0] === 'sh') process.kill(-child.pid, 'SIGKILL');
    else child.kill('SIGKILL');
    await exited;
  }
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Resolves once a TCP connection to the port is accepted. */
async function listening(port: number): Promise<void> {
  for (;;) {
    const up = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => (socket.end(), resolve(true)));
      socket.once('error', () => resolve(false));
    });
    if (up) return;
    // Waiting for another process to bind: nothing to subscribe to, so look again shortly.
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function exitOf(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

/** Start the CLI with piped output; resolves with the URL it prints. */
function startCli(args: string[]): Promise<{ url: string; child: ChildProcess; stderr: () => string }> {
  const child = spawn(process.execPath, [CLI, 'serve', '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const match = /(http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (match) resolve({ url: match[1]!, child, stderr: () => err });
    });
    child.once('exit', (code) => reject(new Error(`cli exited with ${code}: ${err}`)));
  });
}

async function assertServing(url: string): Promise<void> {
  expect((await fetch(`${url}/healthz`)).status).toBe(200);
  const client = await h.client(url);
  expect(await client.request('join', { sessionId: 'still-serving' })).toMatchObject({ ok: true, data: { sessionId: 'still-serving' } });
  client.close();
}

describe.skipIf(!existsSync(CLI))('agent-gateway serve as a process', () => {
  it('keeps serving when its stdout reader goes away: serve | head -c 10', async () => {
    for (let attempt = 0; attempt < 3; attempt++) {
      const port = await freePort();
      // head exits after the first 10 bytes of the URL line; the control-surface line then hits a closed pipe.
      const shell = spawn('sh', ['-c', `"${process.execPath}" "${CLI}" serve --demo --port ${port} --control-token x --log-level info | head -c 10`], {
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      });
      children.push(shell);
      let printed = '';
      shell.stdout!.on('data', (d: Buffer) => (printed += d.toString()));
      await listening(port);
      await assertServing(`http://127.0.0.1:${port}`);
      await assertServing(`http://127.0.0.1:${port}`);
      expect(printed).toBe('Agent Gate');
      expect(shell.exitCode).toBeNull();
      process.kill(-shell.pid!, 'SIGTERM');
      await exitOf(shell);
    }
  });

  it('keeps serving with stdout or stderr closed before it writes, at debug level', async () => {
    for (const closed of ['stdout', 'stderr'] as const) {
      const port = await freePort();
      const child = spawn(process.execPath, [CLI, 'serve', '--port', String(port), '--log-level', 'debug', '--control-token', 'x'], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      children.push(child);
      child[closed]!.destroy();
      await listening(port);
      await assertServing(`http://127.0.0.1:${port}`);
      await assertServing(`http://127.0.0.1:${port}`);
      const exit = exitOf(child);
      child.kill('SIGTERM');
      expect(await exit).toEqual({ code: 0, signal: null });
    }
  });

  it('on SIGTERM finishes the run in flight, tells its clients SHUTTING_DOWN and exits 0', async () => {
    const { url, child } = await startCli(['--demo', '--log-level', 'silent', '--drain-ms', '20000']);
    const client = await h.client(url);
    await client.request('join', { sessionId: 'bye' });
    const sent = await client.request('chat.send', { sessionId: 'bye', text: 'one last answer', idempotencyKey: 'bye-1' });
    if (!sent.ok) throw new Error('chat.send failed');
    await client.rec.untilEvent('bye', (f) => f.event.type === 'run.start', { timeoutMs: 10_000 });
    const exit = exitOf(child);
    child.kill('SIGTERM');
    const notice = await client.rec.waitFor((p) => p.event === 'protocol.error', { timeoutMs: 20_000, what: 'SHUTTING_DOWN' });
    expect((notice.args[0] as ProtocolErrorEvent).error.code).toBe('SHUTTING_DOWN');
    const end = client.rec.frames('bye').find((f) => f.event.type === 'run.end');
    expect(end?.event).toMatchObject({ status: 'completed' });
    expect(notice.index).toBeGreaterThan(client.rec.packets.findIndex((p) => p.event === 'session.event' && JSON.stringify(p.args).includes('"run.end"')));
    expect(await exit).toEqual({ code: 0, signal: null });
  }, 30_000);

  it('takes principals from a token file, reserved prefixes, origins and a metrics token from flags', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'agw-cli-'));
    const tokens = path.join(dir, 'tokens.json');
    writeFileSync(tokens, JSON.stringify({ principals: [{ id: 'alice', token: 'alice-token-0123456789', sessions: ['alice-*'] }] }));
    const { url } = await startCli([
      '--token-file',
      tokens,
      '--forbidden-prefix',
      'alice-private-',
      '--cors-origin',
      'https://app.example.com',
      '--metrics-token',
      'scrape',
      '--log-level',
      'silent',
    ]);
    expect((await h.refused(url, { token: 'nope-nope-nope-nope' })).message).toBe('UNAUTHORIZED');
    const alice = await h.client(url, { token: 'alice-token-0123456789' });
    expect((await alice.request('join', { sessionId: 'alice-1' })).ok).toBe(true);
    expect(await alice.request('join', { sessionId: 'bob-1' })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(await alice.request('join', { sessionId: 'alice-private-1' })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    const polling = (origin: string) => fetch(`${url}/socket.io/?EIO=4&transport=polling`, { headers: { origin } });
    expect((await polling('https://app.example.com')).status).toBe(200);
    expect((await polling('https://evil.example')).status).toBe(403);
    expect((await fetch(`${url}/metrics`)).status).toBe(401);
    expect((await fetch(`${url}/metrics`, { headers: { authorization: 'Bearer scrape' } })).status).toBe(200);
  });

  it('refuses a bad token file or conflicting flags with a message, exit code 2', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'agw-cli-'));
    const tokens = path.join(dir, 'tokens.json');
    writeFileSync(tokens, JSON.stringify({ principals: [{ id: 'a', token: 'short' }] }));
    for (const [args, message] of [
      [['--token-file', tokens], /tokens\.json: \/principals\/0\/token: must be 16 to 4096 characters/],
      [['--token-file', tokens, '--token', 't'], /--token and --token-file/],
      [['--max-pending-bytes', '10'], /--max-pending-bytes must be an integer >= 1024/],
    ] as const) {
      const child = spawn(process.execPath, [CLI, 'serve', '--port', '0', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
      expect(await exitOf(child)).toEqual({ code: 2, signal: null });
      expect(err).toMatch(message);
    }
  });
});
