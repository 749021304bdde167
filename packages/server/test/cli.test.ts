import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { assertGapless, createHarness } from './helpers/wire.js';

const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const h = createHarness();
let child: ChildProcess | undefined;

afterEach(async () => {
  await h.closeAll();
  if (child && child.exitCode === null) {
    const exited = new Promise((resolve) => child!.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
  child = undefined;
});

/** Start the built CLI and resolve with the URL it prints on stdout. */
function startCli(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`no URL printed; stdout=${out} stderr=${err}`)), 10_000);
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const match = /(http:\/\/[^\s]+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`cli exited with ${code}: ${err}`));
    });
  });
}

describe.skipIf(!existsSync(CLI))('agent-gateway serve (scripted client against the built CLI)', () => {
  it('joins, chats with the demo agent, disconnects and resumes with a gapless replay', async () => {
    const url = await startCli(['serve', '--demo', '--port', '0', '--log-level', 'silent']);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const health = await fetch(`${url}/healthz`);
    expect(health.status).toBe(200);

    const first = await h.client(url);
    const joined = await first.request('join', { sessionId: 'cli-chat' });
    if (!joined.ok) throw new Error(JSON.stringify(joined.error));
    const sent = await first.request('chat.send', { sessionId: 'cli-chat', text: 'hello gateway', idempotencyKey: 'cli-1' });
    expect(sent).toMatchObject({ ok: true, data: { duplicate: false } });
    // Disconnect in the middle of the streamed reply.
    await first.rec.untilEvent('cli-chat', (f) => f.event.type === 'tool', { timeoutMs: 10_000 });
    const seen = assertGapless(first.rec.frames('cli-chat'), joined.data.cursor);
    first.close();

    const second = await h.client(url);
    const resumed = await second.request('join', { sessionId: 'cli-chat', since: seen, epoch: joined.data.epoch });
    expect(resumed).toMatchObject({ ok: true, data: { resyncRequired: false } });
    await second.rec.untilEvent('cli-chat', (f) => f.event.type === 'run.end', { timeoutMs: 10_000 });
    const frames = second.rec.frames('cli-chat');
    assertGapless(frames, seen);
    const all = [...first.rec.frames('cli-chat'), ...frames].map((f) => f.event.type);
    expect(all).toEqual(expect.arrayContaining(['message', 'run.start', 'stream.chunk', 'tool', 'stream.end', 'response', 'run.end']));
  });

  it('enables the control surface only with --control-token and enforces --token', async () => {
    const url = await startCli(['serve', '--port', '0', '--token', 'tok', '--control-token', 'ctl', '--max-events', '500', '--log-level', 'silent']);
    const refused = await h.refused(url, {});
    expect(refused.message).toBe('UNAUTHORIZED');
    const c = await h.client(url, { token: 'tok', controlToken: 'ctl' });
    const hello = c.rec.packets[0]!.args[0] as { limits: { maxEvents: number }; control: { enabled: boolean } };
    expect(hello.limits.maxEvents).toBe(500);
    expect(hello.control.enabled).toBe(true);
    const plain = await h.client(url, { token: 'tok' });
    expect((plain.rec.packets[0]!.args[0] as { control: { enabled: boolean } }).control.enabled).toBe(false);
  });

  it('still accepts the deprecated --conformance-token alias', async () => {
    const url = await startCli(['serve', '--port', '0', '--conformance-token', 'ctl', '--log-level', 'silent']);
    const c = await h.client(url, { controlToken: 'ctl' });
    expect((c.rec.packets[0]!.args[0] as { control: { enabled: boolean } }).control.enabled).toBe(true);
  });

  it('rejects bad arguments with a usage error', async () => {
    const code = await new Promise<number | null>((resolve) => {
      const proc = spawn(process.execPath, [CLI, 'serve', '--port', 'abc'], { stdio: 'ignore' });
      proc.once('exit', resolve);
    });
    expect(code).toBe(2);
  });
});
