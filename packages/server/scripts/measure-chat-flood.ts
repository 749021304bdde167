/*
 * Measures what a chat.send flood does to a gateway: one client sends 1,800 messages of 60 KB to one
 * session as fast as it can, against the CLI gateway in its own process with
 * `--max-events 100 --max-bytes 100000`. Reports the answers (accepted / BUSY), the gateway's RSS
 * before, at the peak and after, and whether a fresh client's snapshot still validates.
 * Run (after npm run build): npx tsx scripts/measure-chat-flood.ts
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { validateServerEvent, type ChatSendResult } from '@agent-gateway/schema';
import { io } from 'socket.io-client';

const SENDS = 1_800;
const TEXT = 'x'.repeat(60_000);
const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const gateway = spawn(process.execPath, [cli, 'serve', '--port', '0', '--max-events', '100', '--max-bytes', '100000', '--log-level', 'silent'], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
const url = await new Promise<string>((resolve) => {
  gateway.stdout.on('data', (data: Buffer) => {
    const match = /listening on (\S+)/.exec(data.toString());
    if (match?.[1]) resolve(match[1]);
  });
});
const rssMb = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${gateway.pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;

const client = io(url, { transports: ['websocket'], forceNew: true });
await new Promise<void>((resolve) => client.once('connect', () => resolve()));
await client.emitWithAck('join', { sessionId: 'flood' });
const before = rssMb();
let peak = before;
const sampler = setInterval(() => (peak = Math.max(peak, rssMb())), 50);
const started = Date.now();
const answers = await Promise.all(
  Array.from(
    { length: SENDS },
    (_, i) => client.timeout(120_000).emitWithAck('chat.send', { sessionId: 'flood', text: TEXT, idempotencyKey: `k${i}` }) as Promise<ChatSendResult>,
  ),
);
const elapsed = Date.now() - started;
const accepted = answers.filter((a) => a.ok).length;
const busy = answers.filter((a) => !a.ok && a.error.code === 'BUSY').length;

const fresh = io(url, { transports: ['websocket'], forceNew: true, reconnection: false });
const snapshot = new Promise<unknown>((resolve) => fresh.once('snapshot', resolve));
await new Promise<void>((resolve) => fresh.once('connect', () => resolve()));
let snapshotReport: { bytes: number; valid: boolean } | { error: string };
try {
  await fresh.timeout(60_000).emitWithAck('join', { sessionId: 'flood' });
  const snap = await snapshot;
  snapshotReport = { bytes: Buffer.byteLength(JSON.stringify(snap)), valid: validateServerEvent('snapshot', snap).ok };
} catch (error) {
  snapshotReport = { error: error instanceof Error ? error.message : String(error) };
}
clearInterval(sampler);
const after = rssMb();

console.log(
  JSON.stringify(
    {
      sends: SENDS,
      bytesEach: TEXT.length,
      accepted,
      busy,
      other: SENDS - accepted - busy,
      elapsedMs: elapsed,
      rssMb: { before: Math.round(before), peak: Math.round(peak), after: Math.round(after) },
      snapshot: snapshotReport,
    },
    null,
    2,
  ),
);
client.close();
fresh.close();
gateway.kill('SIGTERM');
