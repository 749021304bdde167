import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

describe('the published ./control entry', () => {
  it('a gateway compiles against the built dist, with typed handlers per command', () => {
    expect(existsSync(join(here, '../dist/control/index.d.ts')), 'build the package first').toBe(true);
    let output = '';
    try {
      execFileSync(process.execPath, [tsc, '-p', join(here, 'consumer/tsconfig.json')], { encoding: 'utf8' });
    } catch (error) {
      output = String((error as { stdout?: string }).stdout ?? error);
    }
    expect(output).toBe('');
  }, 60_000);

  it('resolves at run time through the package exports, without loading the suite', async () => {
    const entry = (await import('@agent-gateway/conformance/control')) as Record<string, unknown>;
    expect(Object.keys(entry).sort()).toEqual(['ControlError', 'createControlSurface']);
  });
});
