/* The machine line of a benchmark report: what the figures were measured on. */
import { readFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { ROOT } from './processes.js';

function versionOf(pkg: string): string {
  try {
    return (JSON.parse(readFileSync(`${ROOT}node_modules/${pkg}/package.json`, 'utf8')) as { version: string }).version;
  } catch {
    return 'not installed';
  }
}

export function machineLine(): string {
  const cores = cpus();
  const model = cores[0]?.model.trim() ?? 'unknown CPU';
  const gateway = (JSON.parse(readFileSync(`${ROOT}packages/server/package.json`, 'utf8')) as { version: string }).version;
  return [
    `${cores.length} cores (${model})`,
    `${Math.round(totalmem() / 2 ** 30)} GiB`,
    `Linux ${release()}`,
    `Node ${process.version}`,
    `@agent-gateway/server ${gateway}`,
    `socket.io ${versionOf('socket.io')}`,
    `engine.io ${versionOf('engine.io')}`,
    `ws ${versionOf('ws')}`,
    `socket.io-client ${versionOf('socket.io-client')}`,
    `bufferutil ${versionOf('bufferutil')}`,
  ].join(', ');
}

export function loadLine(): string {
  return loadavg()
    .map((n) => n.toFixed(2))
    .join(' / ');
}
