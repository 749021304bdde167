import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { allChecks } from '../src/checks/index.js';
import { Requirements } from '../src/requirements.js';

const brief = (() => {
  try {
    return readFileSync(new URL('../../../../shared/PROTOCOL-BRIEF.md', import.meta.url), 'utf8');
  } catch {
    return undefined;
  }
})();

describe('requirements coverage', () => {
  it('every requirement has at least one check', () => {
    const cited = new Set(allChecks.flatMap((c) => c.requirements));
    const uncovered = Requirements.filter((r) => !cited.has(r.id)).map((r) => r.id);
    expect(uncovered).toEqual([]);
  });

  it('every check cites only known requirements', () => {
    const known = new Set<string>(Requirements.map((r) => r.id));
    const unknown = allChecks.flatMap((c) => c.requirements.filter((r) => !known.has(r)).map((r) => `${c.id} -> ${r}`));
    expect(unknown).toEqual([]);
  });

  it('check ids are unique and stable-looking', () => {
    const ids = allChecks.map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^[a-z0-9]+(\.[a-z0-9-]+)+$/);
  });

  it.skipIf(!brief)('the manifest mirrors every requirement of the brief', () => {
    const inBrief = [...brief!.matchAll(/^- (R\d+\.\d+) /gm)].map((m) => m[1]);
    expect(Requirements.map((r) => r.id)).toEqual(inBrief);
  });

  it('conformance sources never import the server or the client package', () => {
    const root = new URL('../src/', import.meta.url).pathname;
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        if (e.isDirectory()) walk(join(dir, e.name));
        else if (e.name.endsWith('.ts')) files.push(join(dir, e.name));
      }
    };
    walk(root);
    const offenders = files.filter((f) => /@agent-gateway\/(server|client)/.test(readFileSync(f, 'utf8')));
    expect(offenders).toEqual([]);
  });
});
