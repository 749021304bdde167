import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

describe('published types', () => {
  it('a consumer compiles against the built dist', () => {
    expect(existsSync(join(here, '../dist/index.d.ts')), 'build the package first').toBe(true);
    let output = '';
    try {
      execFileSync(process.execPath, [tsc, '-p', join(here, 'consumer/tsconfig.json')], { encoding: 'utf8' });
    } catch (error) {
      output = String((error as { stdout?: string }).stdout ?? error);
    }
    expect(output).toBe('');
  }, 60_000);
});
