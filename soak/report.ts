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
  proxy: { connections: number; cuts: number; resets: number; stalls: number };
  memory: { baselineRss: number; plateauRss: number; peakRss: number; finalRss: number; plateauHeap: number; finalHeap: number };
  resources: { baseline: Record<string, number>; final: Record<string, number> };
  gateway: { sessions: number; connectionsAtEnd: number };
  expected: ReadonlyMap<string, string>;
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
  row('connections through the chaos proxy', facts.proxy.connections);
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
  row(
    'gateway RSS: baseline / plateau under load / peak / final',
    `${mib(facts.memory.baselineRss)} / ${mib(facts.memory.plateauRss)} / ${mib(facts.memory.peakRss)} / ${mib(facts.memory.finalRss)}`,
  );
  row('gateway heap after full GC: plateau under load / final', `${mib(facts.memory.plateauHeap)} / ${mib(facts.memory.finalHeap)}`);
  row('gateway handles: baseline / final', `${describe(facts.resources.baseline)} / ${describe(facts.resources.final)}`);
  row('gateway sessions loaded at the end', facts.gateway.sessions);
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

const BEGIN = '<!-- soak:begin (written by npm run soak; edit outside these markers) -->';
const END = '<!-- soak:end -->';

export function writeSoakReport(path: string, block: string): void {
  const generated = `${BEGIN}\n${block}\n${END}`;
  if (!existsSync(path)) return writeFileSync(path, `# Reliability\n\n${generated}\n`);
  const text = readFileSync(path, 'utf8');
  const start = text.indexOf(BEGIN);
  const stop = text.indexOf(END);
  if (start < 0 || stop < 0) throw new Error(`${path} lacks the generated-block markers`);
  writeFileSync(path, `${text.slice(0, start)}${generated}${text.slice(stop + END.length)}`);
}
