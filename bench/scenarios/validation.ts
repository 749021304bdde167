/*
 * B5: the share of the gateway's CPU spent validating inbound messages, from a V8 CPU profile of the
 * CLI (`node --cpu-prof`) under a client-driven producer: one control session.append of one chunk per
 * request, fanned out to ten joined clients. Validation is every sample with the precompiled Ajv
 * validators or the schema's validate wrapper on its stack.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closeAll, connect, connectMany, controlAuth, pool, request } from '../lib/clients.js';
import { summarizeProfile, type ProfileSummary } from '../lib/profile.js';
import { startGatewayCli } from '../lib/processes.js';
import type { RunRow } from '../lib/rows.js';
import type { Sizes } from '../lib/sizes.js';

export const VALIDATION_CATEGORIES = {
  validation: (frame: { url: string; functionName: string }) => /\/schema\/dist\/(generated\/validators|validate|default-validate|issues)\.js$/.test(frame.url),
  'ingress size check': (frame: { url: string; functionName: string }) => frame.url.endsWith('/server/dist/ingress.js') && frame.functionName === 'jsonBytes',
  'socket.io / engine.io / ws': (frame: { url: string; functionName: string }) =>
    /\/node_modules\/(socket\.io|engine\.io|ws|socket\.io-parser|socket\.io-adapter)\//.test(frame.url),
  gateway: (frame: { url: string; functionName: string }) => frame.url.includes('/packages/server/dist/'),
  'garbage collection': (frame: { url: string; functionName: string }) => frame.functionName === '(garbage collector)',
};

/** Profile the CLI under `work`; returns the summary of its CPU profile. */
export async function profileGateway(work: (url: string) => Promise<void>): Promise<ProfileSummary> {
  const dir = mkdtempSync(join(tmpdir(), 'agent-gateway-prof-'));
  try {
    const server = await startGatewayCli([], { nodeFlags: ['--cpu-prof', '--cpu-prof-dir', dir] });
    try {
      await work(server.url);
    } finally {
      // SIGTERM closes the gateway and exits normally, which writes the profile.
      await server.stop();
    }
    const file = readdirSync(dir).find((name) => name.endsWith('.cpuprofile'));
    if (!file) throw new Error('the gateway wrote no CPU profile');
    return summarizeProfile(join(dir, file), VALIDATION_CATEGORIES);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function validationShare(sizes: Sizes): Promise<RunRow[]> {
  const appends = sizes.profiledAppends;
  const summary = await profileGateway(async (url) => {
    const control = await connect(url, controlAuth);
    const clients = await connectMany(url, 10);
    for (const client of clients) await request(client, 'join', { sessionId: 'b5' });
    await pool(appends, 64, (i) =>
      request(control, 'control', {
        type: 'session.append',
        sessionId: 'b5',
        events: [{ type: 'stream.chunk', runId: 'run-b5', streamId: 'run-b5-s0', index: i, text: ' token' }],
      }),
    );
    closeAll([control, ...clients]);
  });
  const share = (summary.categories.validation! / summary.busyMicros) * 100;
  return [
    {
      id: 'B5',
      group: 'B5 validation',
      label: `validation share of gateway CPU: ${appends.toLocaleString('en-US')} single-event appends fanned out to 10 clients`,
      unit: '%',
      gateway: share,
      compare: 'none',
      target: { of: 'value', op: '<=', value: 3, text: '< 3%' },
      note: `${(summary.categories.validation! / appends).toFixed(2)} µs of validation per request; busy ${(summary.busyMicros / appends).toFixed(1)} µs per request`,
    },
    {
      id: 'B5.us',
      group: 'B5 validation',
      label: 'validation time per inbound request',
      unit: 'µs',
      gateway: summary.categories.validation! / appends,
      compare: 'none',
    },
    {
      id: 'B5.busy',
      group: 'B5 validation',
      label: 'gateway CPU per request (one append, ten deliveries)',
      unit: 'µs',
      gateway: summary.busyMicros / appends,
      compare: 'none',
    },
  ];
}
