import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { validate, type PressureState } from '@agent-gateway/schema';
import { createMetrics } from '../src/ops/metrics.js';
import { DiagnosticsHub } from '../src/ops/diagnostics.js';

const pressure: PressureState = {
  active: 1,
  waiting: 2,
  queued: 3,
  eventLoopDelayMs: 12.5,
  backoffActive: true,
  backoffUntil: 5_000,
  mirrorsSuppressed: 7,
  mirrorsDelivered: 11,
};

describe('metrics', () => {
  let server: http.Server | undefined;
  afterEach(async () => {
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    server = undefined;
  });

  const make = () => {
    const counts = { replays: 0, resyncs: 0 };
    const sources = {
      pressure: () => pressure,
      heartbeats: () => ({ ran: 4, skippedSessionBusy: 2, skippedRequestsInFlight: 1, retriesScheduled: 3 }),
      connections: () => 5,
      sessions: () => 6,
      replays: () => counts.replays,
      resyncs: () => counts.resyncs,
    };
    const metrics = createMetrics({
      ...sources,
      slowConsumersCut: () => 2,
      sessionsUnloaded: () => 9,
      sessionChangesSent: () => 40,
      sessionResyncsSent: () => 3,
    });
    const hub = new DiagnosticsHub(sources, 1_000, () => 1_234);
    return Object.assign(metrics, { counts, hub });
  };

  it('produces a schema-valid Diagnostics object', () => {
    const metrics = make();
    metrics.counts.replays = 1;
    metrics.counts.resyncs = 2;
    const diagnostics = metrics.hub.build();
    const checked = validate('Diagnostics', diagnostics);
    expect(checked.ok).toBe(true);
    expect(diagnostics).toMatchObject({ at: 1_234, connections: 5, sessions: 6, replays: 1, resyncs: 2, pressure });
  });

  it('serves GET /metrics in the Prometheus text format from its own registry', async () => {
    const metrics = make();
    metrics.recordHeartbeat('skipped', 'session-busy');
    metrics.recordHeartbeat('ran');
    server = http.createServer((req, res) => {
      if (!metrics.handle(req, res)) res.writeHead(404).end();
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
    const { port } = server.address() as AddressInfo;
    const response = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain');
    const body = await response.text();
    expect(body).toContain('agent_gateway_runs_active 1');
    expect(body).toContain('agent_gateway_runs_waiting 2');
    expect(body).toContain('agent_gateway_work_queued 3');
    expect(body).toContain('agent_gateway_event_loop_delay_ms 12.5');
    expect(body).toContain('agent_gateway_backoff_active 1');
    expect(body).toContain('agent_gateway_mirrors_suppressed_total 7');
    expect(body).toContain('agent_gateway_mirrors_delivered_total 11');
    expect(body).toContain('agent_gateway_connected_clients 5');
    expect(body).toContain('agent_gateway_slow_consumers_cut_total 2');
    expect(body).toContain('agent_gateway_sessions_unloaded_total 9');
    expect(body).toContain('agent_gateway_session_changes_sent_total 40');
    expect(body).toContain('agent_gateway_session_resyncs_sent_total 3');
    expect(body).toContain('agent_gateway_heartbeats_total{status="skipped",reason="session-busy"} 1');
    expect(body).toContain('agent_gateway_heartbeats_total{status="ran",reason="none"} 1');
    expect((await fetch(`http://127.0.0.1:${port}/other`)).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${port}/metrics`, { method: 'POST' })).status).toBe(405);
  });

  it('keeps registries of two gateways apart', async () => {
    const a = make();
    const b = make();
    a.counts.resyncs = 1;
    expect(await a.registry.getSingleMetricAsString('agent_gateway_resyncs_total')).toContain('agent_gateway_resyncs_total 1');
    expect(await b.registry.getSingleMetricAsString('agent_gateway_resyncs_total')).toContain('agent_gateway_resyncs_total 0');
  });
});
