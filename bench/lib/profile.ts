/* Reading V8 CPU profiles (`node --cpu-prof`): busy time, time spent under chosen code, hottest functions. */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  /** Sampled time not idle (µs). */
  busyMicros: number;
  /** Inclusive time under each category (µs): a sample counts when the category is on its stack. */
  categories: Record<string, number>;
  /** Hottest functions by self time. */
  top: Array<{ name: string; where: string; micros: number }>;
}

export type Category = (frame: ProfileNode['callFrame']) => boolean;

function shortUrl(url: string): string {
  const at = url.lastIndexOf('/node_modules/');
  if (at >= 0) return url.slice(at + '/node_modules/'.length);
  const packages = url.lastIndexOf('/packages/');
  if (packages >= 0) return url.slice(packages + 1);
  return url.replace(/^file:\/\//, '');
}

export function summarizeProfile(path: string, categories: Record<string, Category>, topCount = 15): ProfileSummary {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const self = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]!;
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const names = Object.keys(categories);
  // Which categories are on the stack of each node (itself or an ancestor).
  const memo = new Map<number, Set<string>>();
  const onStack = (id: number): Set<string> => {
    const known = memo.get(id);
    if (known) return known;
    const up = parent.get(id);
    const set = new Set(up === undefined ? [] : onStack(up));
    const frame = byId.get(id)!.callFrame;
    for (const name of names) if (categories[name]!(frame)) set.add(name);
    memo.set(id, set);
    return set;
  };
  let busy = 0;
  const totals: Record<string, number> = Object.fromEntries(names.map((n) => [n, 0]));
  const selfByFunction = new Map<string, { name: string; where: string; micros: number }>();
  for (const [id, micros] of self) {
    const frame = byId.get(id)!.callFrame;
    if (frame.functionName === '(idle)') continue;
    busy += micros;
    for (const name of onStack(id)) totals[name]! += micros;
    const where = frame.url ? `${shortUrl(frame.url)}:${frame.lineNumber + 1}` : '(native)';
    const key = `${frame.functionName}@${where}`;
    const entry = selfByFunction.get(key) ?? { name: frame.functionName || '(anonymous)', where, micros: 0 };
    entry.micros += micros;
    selfByFunction.set(key, entry);
  }
  const top = [...selfByFunction.values()].sort((a, b) => b.micros - a.micros).slice(0, topCount);
  return { busyMicros: busy, categories: totals, top };
}
