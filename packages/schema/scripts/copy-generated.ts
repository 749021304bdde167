/*
 * Part of `npm run build`: tsc compiles only TypeScript, so the precompiled validators (generated
 * JavaScript + declarations) are copied next to the compiled modules that import them.
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');
for (const file of ['validators.js', 'validators.d.ts']) {
  const target = join(packageDir, 'dist', 'generated', file);
  mkdirSync(dirname(target), { recursive: true });
  copyFileSync(join(packageDir, 'src', 'generated', file), target);
}
