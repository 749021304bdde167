import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const packageDir = join(import.meta.dirname, '..');
const distIndex = join(packageDir, 'dist', 'index.js');
const tscBin = createRequire(import.meta.url).resolve('typescript/bin/tsc');

describe('the built package', () => {
  it('is built (npm run build) before these tests run', () => {
    expect(existsSync(distIndex), 'run `npm run build` in packages/schema first').toBe(true);
    expect(existsSync(join(packageDir, 'dist', 'generated', 'validators.js'))).toBe(true);
  });

  it('ships declarations that a consumer compiles against by package name', async () => {
    // tsc exits non-zero with its diagnostics on stdout when the consumer does not compile.
    const run = promisify(execFile)(process.execPath, [tscBin, '-p', join(packageDir, 'consumer', 'tsconfig.json')], { cwd: packageDir });
    await expect(
      run.then(
        () => 'compiled',
        (error: { stdout?: string }) => error.stdout ?? String(error),
      ),
    ).resolves.toBe('compiled');
  }, 120_000);

  it('validates with the precompiled validators when imported by package name', async () => {
    const schema = await import('@agent-gateway/schema');
    const tooling = await import('@agent-gateway/schema/tooling');
    expect(tooling.precompiledValidators.JoinParams).toBeTypeOf('function');
    expect(schema.validate('JoinParams', { sessionId: 's1', since: 3 })).toEqual({ ok: true, value: { sessionId: 's1', since: 3 } });
    const vectors = JSON.parse(readFileSync(join(packageDir, 'vectors', 'JoinParams.json'), 'utf8')) as { invalid: { data: unknown; expectPath: string }[] };
    for (const vector of vectors.invalid) {
      const result = schema.validate('JoinParams', vector.data);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.issues.map((issue) => issue.path)).toContain(vector.expectPath);
    }
  });
});
