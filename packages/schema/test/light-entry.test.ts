import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Schemas, validate, type SchemaName, type Validator } from '../src/index.js';

const packageDir = join(import.meta.dirname, '..');

interface VectorFile {
  schema: SchemaName;
  valid: { data: unknown }[];
  invalid: { data: unknown }[];
}
const vectorsDir = join(packageDir, 'vectors');
const files = readdirSync(vectorsDir)
  .filter((name) => name.endsWith('.json'))
  .sort()
  .map((name) => JSON.parse(readFileSync(join(vectorsDir, name), 'utf8')) as VectorFile);

/** Every specifier a built module imports or re-exports, following relative ones through dist. */
function importGraph(entry: string): { files: string[]; external: string[] } {
  const seen = new Set<string>();
  const external = new Set<string>();
  const pending = [entry];
  while (pending.length > 0) {
    const file = pending.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(/^\s*(?:import|export)\b[^'"]*?from\s*['"]([^'"]+)['"]|^\s*import\s*['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]/gm)) {
      const specifier = match[1] ?? match[2] ?? match[3]!;
      if (specifier.startsWith('.')) pending.push(resolve(dirname(file), specifier));
      else external.add(specifier);
    }
  }
  return { files: [...seen].map((file) => file.slice(packageDir.length + 1)).sort(), external: [...external].sort() };
}

describe('the light validators entry point (@agent-gateway/schema/validators)', () => {
  it('loads no TypeBox, no Ajv and no schema objects at run time', () => {
    const graph = importGraph(join(packageDir, 'dist', 'validators.js'));
    expect(graph.external).toEqual([]);
    expect(graph.files).toEqual(['dist/generated/validators.js', 'dist/issues.js', 'dist/validators.js']);
  });

  it('the full index does load the schema objects, so the check above can fail', () => {
    const graph = importGraph(join(packageDir, 'dist', 'index.js'));
    expect(graph.external).toContain('@sinclair/typebox');
  });

  it('exports one validator per registry schema, by package name', async () => {
    const light = (await import('@agent-gateway/schema/validators')) as Record<string, unknown>;
    for (const name of Object.keys(Schemas)) expect(light[name], name).toBeTypeOf('function');
    expect(
      Object.keys(light)
        .filter((key) => !(key in Schemas))
        .sort(),
    ).toEqual(['MAX_REPORTED_ISSUES', 'check', 'formatIssues', 'toIssues']);
  });

  it('check(validator, data) says exactly what validate(name, data) says for every vector', async () => {
    const light = await import('@agent-gateway/schema/validators');
    const byName = light as unknown as Record<SchemaName, Validator<unknown>>;
    let compared = 0;
    for (const file of files) {
      for (const vector of [...file.valid, ...file.invalid]) {
        expect(light.check(byName[file.schema], vector.data), file.schema).toEqual(validate(file.schema, vector.data));
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(100);
  });

  it('formats issues as "path message", the whole message for an empty path', async () => {
    const { formatIssues } = await import('@agent-gateway/schema/validators');
    const issues = [
      { path: '', message: 'is invalid', keyword: 'type' },
      { path: '/a', message: 'is required', keyword: 'required' },
      { path: '/b', message: 'must be integer', keyword: 'type' },
      { path: '/c', message: 'must be string', keyword: 'type' },
    ];
    expect(formatIssues(issues)).toBe('(message) is invalid; /a is required; /b must be integer');
    expect(formatIssues(issues, 1)).toBe('(message) is invalid');
  });
});
