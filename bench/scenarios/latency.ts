/*
 * B1b: produce -> client receipt latency of a token stream paced at half of raw Socket.IO's maximum
 * rate (measured by B1 in the same run). The gateway streams from an agent in its process (a chat.send
 * answered by the paced agent of the gateway host); the raw server runs the same paced loop. Every
 * token carries the monotonic clock of its production; the client subtracts it on receipt.
 */
import type { Histogram } from 'hdr-histogram-js';
import { connect, request, type Socket } from '../lib/clients.js';
import { startGatewayHost, startRawServer, type ServerProcess } from '../lib/processes.js';
import { encodeHistogram, newLatencyHistogram, valueAt, type RunRow } from '../lib/rows.js';
import type { Sizes } from '../lib/sizes.js';

interface Frame {
  event: { type: string; text?: string };
}

/** Record the latency of every stamped chunk until the run ends. */
function recordLatency(client: Socket, histogram: Histogram | undefined): Promise<void> {
  return new Promise((resolve) => {
    const onFrames = (payload: Frame | Frame[]) => {
      const now = process.hrtime.bigint();
      for (const frame of Array.isArray(payload) ? payload : [payload]) {
        if (frame.event.type === 'stream.chunk' && histogram) {
          const micros = Number((now - BigInt(frame.event.text!.trimEnd())) / 1000n);
          histogram.recordValue(Math.max(1, micros));
        } else if (frame.event.type === 'run.end') {
          client.off('session.event', onFrames);
          resolve();
        }
      }
    };
    client.on('session.event', onFrames);
  });
}

async function pacedRun(server: ServerProcess, kind: 'gateway' | 'raw', count: number, rate: number, histogram?: Histogram): Promise<void> {
  const client = await connect(server.url);
  const sessionId = `b1b-${histogram ? 'measure' : 'warmup'}`;
  await request(client, 'join', { sessionId });
  const done = recordLatency(client, histogram);
  if (kind === 'gateway') await request(client, 'chat.send', { sessionId, text: `paced ${count} ${rate}`, idempotencyKey: sessionId });
  else await request(client, 'paced', { sessionId, count, rate });
  await done;
  client.close();
}

async function measure(kind: 'gateway' | 'raw', count: number, rate: number): Promise<Histogram> {
  const server = kind === 'gateway' ? await startGatewayHost({ agent: 'paced', retention: { maxEvents: 10_000 } }) : await startRawServer();
  try {
    await pacedRun(server, kind, Math.ceil(count / 5), rate);
    const histogram = newLatencyHistogram();
    await pacedRun(server, kind, count, rate, histogram);
    return histogram;
  } finally {
    await server.stop();
  }
}

export async function latency(sizes: Sizes, rawOneClientRate: number | undefined): Promise<RunRow[]> {
  // Without B1 in this run, pace at the reference figure's half.
  const rate = Math.round((rawOneClientRate ?? 99_000) / 2);
  const count = Math.round(rate * sizes.latencySeconds);
  const gateway = await measure('gateway', count, rate);
  const raw = await measure('raw', count, rate);
  const histograms = { gateway: encodeHistogram(gateway), raw: encodeHistogram(raw) };
  const label = `${rate.toLocaleString('en-US')} events/s to one client`;
  const row = (id: string, what: string, percentile: number, target?: RunRow['target']): RunRow => ({
    id,
    group: 'B1b latency (produce -> receipt)',
    label: `${what}, ${label}`,
    unit: 'ms',
    gateway: valueAt(gateway, percentile) / 1000,
    raw: valueAt(raw, percentile) / 1000,
    compare: 'difference',
    histograms,
    percentile,
    ...(target ? { target } : {}),
  });
  return [row('B1b.p50', 'p50', 50), row('B1b.p99', 'p99', 99, { of: 'difference', op: '<=', value: 1, text: '≤ raw + 1 ms' }), row('B1b.max', 'max', 100)];
}
