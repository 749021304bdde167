/* The table of docs/reliability.md, written from one soak run. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { Checker } from './checker.js';
import type { RunChecks } from './run-checks.js';

export interface SoakFacts {
  command: string;
  seed: number;
  durationSeconds: number;
  mode: string;
  machine: string;
  clients: { typed: number; raw: number };
  sessions: { chat: number; stream: number };
  proxy: { connections: number; perTarget: number[]; noTarget: number; cuts: number; resets: number; stalls: number };
  /** One per gateway process (the single-node run: one, named `gateway`). */
  nodes: NodeFacts[];
  cluster?: ClusterFacts;
  expected: ReadonlyMap<string, string>;
}

export interface NodeFacts {
  name: string;
  /** The baseline of a restarted node is taken after its restart. */
  restarted: boolean;
  memory: { baselineRss: number; plateauRss: number; peakRss: number; finalRss: number; plateauHeap: number; finalHeap: number };
  resources: { baseline: Record<string, number>; final: Record<string, number> };
  sessions: number;
  connectionsAtEnd: number;
}

/** The multi-node run: which node was killed, when, and what became of its runs. */
export interface ClusterFacts {
  nodes: number;
  leaseTtlMs: number;
  killed: string;
  killedAtS: number;
  restartedAtS: number;
  /** From spawning the node again to its URL line. */
  restartTookMs: number;
  /** Client connections (through the proxy) the killed node held when it died. */
  connectionsLost: number;
  /** Runs of the killed node not yet terminal when it died (the gateway's run index, read after the kill). */
  orphansAtKill: number;
  /** Of those, ended as failed by another node, as some client saw (run.end). */
  orphansEndedSeen: number;
  /** Kill to the last of those run.end frames reaching a client. */
  orphansEndedAfterMs: number | undefined;
  /** Kill to the run index holding none of the killed node's runs. */
  indexClearedAfterMs: number | undefined;
}

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

export function renderSoak(facts: SoakFacts, checker: Checker, runs: RunChecks): string {
  const lines: string[] = [];
  const row = (what: string, value: string | number) => lines.push(`| ${what} | ${typeof value === 'number' ? value.toLocaleString('en-US') : value} |`);
  lines.push(`Run ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, ${facts.mode}: \`${facts.command}\` (seed ${facts.seed}).`);
  lines.push(`Machine: ${facts.machine}.`, '');
  lines.push('| measure | value |', '|---|---:|');
  row('duration of the workload', `${facts.durationSeconds} s`);
  row('clients (typed client / raw socket.io-client)', `${facts.clients.typed + facts.clients.raw} (${facts.clients.typed} / ${facts.clients.raw})`);
  row('sessions (chat / stream)', `${facts.sessions.chat + facts.sessions.stream} (${facts.sessions.chat} / ${facts.sessions.stream})`);
  const cluster = facts.cluster;
  if (cluster) {
    const names = facts.nodes.map((n) => n.name).join(' / ');
    row('gateway nodes (processes sharing one Redis)', `${cluster.nodes} (${names}), lease TTL ${cluster.leaseTtlMs} ms`);
    row(
      'node killed (SIGKILL) / restarted (same node id)',
      `${cluster.killed} at ${cluster.killedAtS.toFixed(1)} s, holding ${cluster.connectionsLost} client connections / at ${cluster.restartedAtS.toFixed(1)} s (start took ${(cluster.restartTookMs / 1000).toFixed(1)} s)`,
    );
    row('runs of the killed node active at the kill / ended as failed (seen by clients)', `${cluster.orphansAtKill} / ${cluster.orphansEndedSeen}`);
    row(
      'orphaned runs ended: kill to the last run.end seen / to the run index clear',
      `${cluster.orphansEndedAfterMs === undefined ? 'n/a' : `${(cluster.orphansEndedAfterMs / 1000).toFixed(1)} s`} / ${cluster.indexClearedAfterMs === undefined ? 'not cleared' : `${(cluster.indexClearedAfterMs / 1000).toFixed(1)} s`}`,
    );
    row(
      `connections through the chaos proxy (${names})`,
      `${facts.proxy.connections.toLocaleString('en-US')} (${facts.proxy.perTarget.map((n) => n.toLocaleString('en-US')).join(' / ')})`,
    );
    if (facts.proxy.noTarget > 0) row('connections refused while no node was up', facts.proxy.noTarget);
  } else row('connections through the chaos proxy', facts.proxy.connections);
  row('connections cut (of which reset)', `${facts.proxy.cuts} (${facts.proxy.resets})`);
  row('stalls (one direction held back)', facts.proxy.stalls);
  row('reconnects (connections opened by clients after their first)', checker.counts.get('connections') - checker.counts.get('clients'));
  row(
    'events checked (replay / live / mirror frames)',
    `${(checker.counts.get('frames (replay)') + checker.counts.get('frames (live)') + checker.counts.get('frames (mirror)')).toLocaleString('en-US')} (${checker.counts.get('frames (replay)').toLocaleString('en-US')} / ${checker.counts.get('frames (live)').toLocaleString('en-US')} / ${checker.counts.get('frames (mirror)').toLocaleString('en-US')})`,
  );
  row('resumes by replay', checker.counts.get('resumes by replay'));
  for (const [reason, count] of checker.resyncs.entries()) row(`resyncs: ${reason}`, count);
  for (const [reason, count] of checker.skipped.entries()) row(`seqs announced as skipped: ${reason}`, count);
  row('chat.send acknowledged keys (each one run)', runs.counts.get('acknowledged keys'));
  row('violations (all kinds)', checker.violations.total());
  for (const node of facts.nodes) {
    const name = cluster ? `node ${node.name}${node.restarted ? ' (since its restart)' : ''}` : node.name;
    const m = node.memory;
    row(`${name} RSS: baseline / plateau under load / peak / final`, `${mib(m.baselineRss)} / ${mib(m.plateauRss)} / ${mib(m.peakRss)} / ${mib(m.finalRss)}`);
    row(`${name} heap after full GC: plateau under load / final`, `${mib(m.plateauHeap)} / ${mib(m.finalHeap)}`);
    row(`${name} handles: baseline / final`, `${describe(node.resources.baseline)} / ${describe(node.resources.final)}`);
    row(`${name} sessions loaded at the end`, node.sessions);
  }
  lines.push('', '### Violations by kind', '', '| kind | count | expected |', '|---|---:|---|');
  const kinds = new Set([...checker.violations.entries().map(([k]) => k), ...facts.expected.keys()]);
  if (kinds.size === 0) lines.push('| (none) | 0 | |');
  for (const kind of kinds) lines.push(`| ${kind} | ${checker.violations.get(kind)} | ${facts.expected.get(kind) ?? ''} |`);
  const examples = [...checker.examples.entries()];
  if (examples.length > 0) {
    lines.push('', '### First examples', '');
    for (const [kind, list] of examples) for (const example of list) lines.push(`- \`${kind}\`: ${example.replaceAll('|', '\\|')}`);
  }
  lines.push('', '### Everything counted', '', '| count | value |', '|---|---:|');
  for (const [name, value] of [...checker.counts.entries(), ...runs.counts.entries()]) lines.push(`| ${name} | ${value.toLocaleString('en-US')} |`);
  return lines.join('\n');
}

function describe(resources: Record<string, number>): string {
  return Object.entries(resources)
    .map(([name, count]) => `${name} ${count}`)
    .join(', ');
}

/** Each kind of run writes its own block between its own markers. */
const MARKERS = {
  single: ['<!-- soak:begin (written by npm run soak; edit outside these markers) -->', '<!-- soak:end -->'],
  nodes: ['<!-- soak:nodes:begin (written by npm run soak -- --nodes N; edit outside these markers) -->', '<!-- soak:nodes:end -->'],
} as const;

export function writeSoakReport(path: string, block: string, section: keyof typeof MARKERS = 'single'): void {
  const [begin, end] = MARKERS[section];
  const generated = `${begin}\n${block}\n${end}`;
  if (!existsSync(path)) return writeFileSync(path, `# Reliability\n\n${generated}\n`);
  const text = readFileSync(path, 'utf8');
  const start = text.indexOf(begin);
  const stop = text.indexOf(end);
  if (start < 0 || stop < 0) throw new Error(`${path} lacks the generated-block markers ${begin} … ${end}`);
  writeFileSync(path, `${text.slice(0, start)}${generated}${text.slice(stop + end.length)}`);
}
