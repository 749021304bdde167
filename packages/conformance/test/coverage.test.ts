import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { allChecks } from '../src/checks/index.js';
import { Requirements } from '../src/requirements.js';

/** The protocol brief lives in `shared/` next to the checkout (or next to the folder of worktrees). */
const brief = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let up = 0; up < 8; up++) {
    const candidate = join(dir, 'shared', 'PROTOCOL-BRIEF.md');
    if (existsSync(candidate)) return readFileSync(candidate, 'utf8');
    dir = dirname(dir);
  }
  return undefined;
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

  it('every clause of a requirement has a check, and checks of clause requirements say which clause', () => {
    const clauses: string[] = Requirements.flatMap((r) => ('clauses' in r && r.clauses ? r.clauses.map((c) => c.id) : []));
    const covered = new Set(allChecks.flatMap((c) => c.covers ?? []));
    expect(clauses.filter((c) => !covered.has(c))).toEqual([]);
    expect([...covered].filter((c) => !clauses.includes(c))).toEqual([]);
    const vague = allChecks.flatMap((check) =>
      check.requirements
        .filter((id) => {
          const req = Requirements.find((r) => r.id === id);
          return req && 'clauses' in req && req.clauses && !(check.covers ?? []).some((c) => c.startsWith(`${id}#`));
        })
        .map((id) => `${check.id} -> ${id}`),
    );
    expect(vague).toEqual([]);
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
