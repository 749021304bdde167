/*
 * The leak audit at the end of a soak run, per gateway process: once every client has closed, a node
 * holds only the run's own direct connections (the operator and the auditor on the first node, one
 * control connection on each other), no extra socket or timer, and its heap after a full collection
 * (with every log trimmed) is not above its plateau under load. The first node holds every session
 * (the auditor joined them all there); no node holds more.
 */
import type { Snapshot } from '@agent-gateway/schema';
import type { Socket } from 'socket.io-client';
import type { Checker } from './checker.js';
import type { GatewayNode, Memory } from './cluster.js';
import { ask } from './operator.js';
import type { NodeFacts } from './report.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface NodeAuditInput {
  checker: Checker;
  nodes: GatewayNode[];
  /** A control connection per node; the first is the operator's. */
  controls: Socket[];
  snapshots: ReadonlyMap<string, Snapshot>;
  sessionCount: number;
  baseline: Memory[];
  plateau: Memory[];
  peakRss: number[];
}

function count(resources: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const name of resources) out[name] = (out[name] ?? 0) + 1;
  return out;
}

export async function auditNodes(input: NodeAuditInput): Promise<NodeFacts[]> {
  const { checker, nodes, controls } = input;
  const named = (node: GatewayNode, detail: string) => (nodes.length > 1 ? `node ${node.name}: ${detail}` : detail);
  // Every client is gone: the operator and the auditor on the first node, a control connection on the others.
  const connections: number[] = [];
  for (const [i, node] of nodes.entries()) {
    const allowed = i === 0 ? 2 : 1;
    let left = -1;
    for (let attempt = 0; attempt < 100; attempt++) {
      left = (await ask(controls[i]!, 'diagnostics.get', {})).connections as number;
      if (left <= allowed) break;
      await sleep(100);
    }
    if (left > allowed) checker.violation('leak: connections', named(node, `${left} connections left after every client closed`));
    connections.push(left);
  }
  const diagnostics = await Promise.all(controls.map((control) => ask(control, 'diagnostics.get', {})));
  // Drop every retained event so what remains in the heap is what a gateway keeps per session.
  for (const [sessionId, snapshot] of input.snapshots)
    await ask(controls[0]!, 'control', { type: 'session.trim', sessionId, oldestCursor: snapshot.eventCursor + 1 });
  const final = await Promise.all(nodes.map((node) => node.memory()));
  return nodes.map((node, i) => {
    const baseline = input.baseline[i]!;
    const plateau = input.plateau[i]!;
    const last = final[i]!;
    const resourcesBaseline = count(baseline.resources);
    const resourcesFinal = count(last.resources);
    const resources = `${JSON.stringify(resourcesFinal)} vs ${JSON.stringify(resourcesBaseline)}`;
    if ((resourcesFinal.TCPSocketWrap ?? 0) > (resourcesBaseline.TCPSocketWrap ?? 0)) checker.violation('leak: sockets', named(node, resources));
    if ((resourcesFinal.Timeout ?? 0) > (resourcesBaseline.Timeout ?? 0) + 10) checker.violation('leak: timers', named(node, resources));
    const sessions = diagnostics[i]!.sessions as number;
    if (i === 0 ? sessions !== input.sessionCount : sessions > input.sessionCount) {
      checker.violation('leak: sessions', named(node, `${sessions} sessions loaded; the run used ${input.sessionCount}`));
    }
    // What legitimately grows after the plateau is small (finished runs inside the idempotency window,
    // conversations); state kept per connection would grow with the ~1,000 connections of a run.
    if (last.memory.heapUsed > plateau.memory.heapUsed * 1.25 + 16 * 2 ** 20) {
      checker.violation('leak: heap', named(node, `heap after the run ${last.memory.heapUsed} above the plateau under load ${plateau.memory.heapUsed}`));
    }
    return {
      name: node.name,
      restarted: node.restarts > 0,
      memory: {
        baselineRss: baseline.memory.rss,
        plateauRss: plateau.memory.rss,
        peakRss: input.peakRss[i]!,
        finalRss: last.memory.rss,
        plateauHeap: plateau.memory.heapUsed,
        finalHeap: last.memory.heapUsed,
      },
      resources: { baseline: resourcesBaseline, final: resourcesFinal },
      sessions,
      connectionsAtEnd: connections[i]!,
    };
  });
}
