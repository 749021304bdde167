import type { IncomingMessage, ServerResponse } from 'node:http';
import { Counter, Gauge, Registry } from 'prom-client';
import type { HeartbeatSkipReason } from '@agent-gateway/schema';
import type { DiagnosticsSources } from './diagnostics.js';

/** Live values the gauges read at scrape time: the sources of diagnostics, and the bounds at work. */
export interface MetricsSource extends DiagnosticsSources {
  /** Connections cut because their pending output passed its bound (monotonic). */
  slowConsumersCut(): number;
  /** Sessions unloaded after their idle time (monotonic). */
  sessionsUnloaded(): number;
  /** sessions.changed sent, to subscribers and followers (monotonic). */
  sessionChangesSent(): number;
  /** sessions.resync sent for coalesced creations (monotonic). */
  sessionResyncsSent(): number;
}

export interface GatewayMetrics {
  /** A registry of its own, so two gateways in one process never share series. */
  registry: Registry;
  recordHeartbeat(status: 'ran' | 'skipped', reason?: HeartbeatSkipReason): void;
  /** Answers GET /metrics; returns false for any other request so the caller can route it on. */
  handle(req: IncomingMessage, res: ServerResponse): boolean;
}

export function createMetrics(source: MetricsSource): GatewayMetrics {
  const registry = new Registry();

  const gauge = (name: string, help: string, read: () => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(read());
      },
    });

  gauge('agent_gateway_runs_active', 'Turns executing in session lanes.', () => source.pressure().active);
  gauge('agent_gateway_runs_waiting', 'Turns waiting behind another turn in their lane.', () => source.pressure().waiting);
  gauge('agent_gateway_work_queued', 'Queued work overall.', () => source.pressure().queued);
  gauge('agent_gateway_event_loop_delay_ms', 'Event-loop delay, p99 over the last sampling window.', () => source.pressure().eventLoopDelayMs);
  gauge('agent_gateway_backoff_active', '1 while the tool-mirror back-off window is open.', () => (source.pressure().backoffActive ? 1 : 0));
  gauge('agent_gateway_connected_clients', 'Connected Socket.IO clients.', () => source.connections());
  gauge('agent_gateway_sessions', 'Sessions loaded in the gateway.', () => source.sessions());

  // Counters mirrored from monotonic sources are exposed through collect(): prom-client counters
  // only go up, so adding the difference since the last scrape keeps them exact.
  const mirrorCounter = (name: string, help: string, read: () => number) => {
    let seen = 0;
    return new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        const value = read();
        if (value > seen) this.inc(value - seen);
        seen = value;
      },
    });
  };
  mirrorCounter(
    'agent_gateway_mirrors_suppressed_total',
    'Non-terminal session.tool mirrors withheld (back-off or slow consumer).',
    () => source.pressure().mirrorsSuppressed,
  );
  mirrorCounter('agent_gateway_mirrors_delivered_total', 'session.tool mirrors delivered.', () => source.pressure().mirrorsDelivered);

  mirrorCounter('agent_gateway_resyncs_total', 'Joins answered with a snapshot (resyncRequired).', () => source.resyncs());
  mirrorCounter('agent_gateway_replays_total', 'Joins answered with a gapless replay.', () => source.replays());
  mirrorCounter('agent_gateway_slow_consumers_cut_total', 'Connections closed with SLOW_CONSUMER: pending output passed its bound.', () =>
    source.slowConsumersCut(),
  );
  mirrorCounter('agent_gateway_sessions_unloaded_total', 'Idle sessions unloaded from memory.', () => source.sessionsUnloaded());
  mirrorCounter('agent_gateway_session_changes_sent_total', 'sessions.changed sent to list subscribers and session followers.', () =>
    source.sessionChangesSent(),
  );
  mirrorCounter('agent_gateway_session_resyncs_sent_total', 'sessions.resync sent instead of a storm of creation notices.', () => source.sessionResyncsSent());
  const heartbeatCounter = new Counter({
    name: 'agent_gateway_heartbeats_total',
    help: 'Heartbeat outcomes by status and skip reason.',
    labelNames: ['status', 'reason'] as const,
    registers: [registry],
  });

  return {
    registry,
    recordHeartbeat(status, reason) {
      heartbeatCounter.inc({ status, reason: reason ?? 'none' });
    },
    handle(req, res) {
      const path = (req.url ?? '').split('?')[0];
      if (path !== '/metrics') return false;
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { allow: 'GET, HEAD' }).end();
        return true;
      }
      registry.metrics().then(
        (body) => {
          res.writeHead(200, { 'content-type': registry.contentType });
          res.end(req.method === 'HEAD' ? undefined : body);
        },
        (error: unknown) => {
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end(error instanceof Error ? error.message : 'metrics failed');
        },
      );
      return true;
    },
  };
}
