#!/usr/bin/env node
// The dependency arrows point one way: schema <- server, schema <- client,
// schema (+ raw socket.io-client) <- conformance. A package's shipped code (src/) may import only
// the workspace packages listed here; tests may start a server, so test/ is not checked.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const allowed = {
  schema: [],
  server: ['@agent-gateway/schema'],
  client: ['@agent-gateway/schema'],
  conformance: ['@agent-gateway/schema'],
};

const root = new URL('..', import.meta.url).pathname;
const importPattern = /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;
const problems = [];

function* sourceFiles(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* sourceFiles(path);
    else if (/\.(ts|tsx|js|mjs)$/.test(name) && !name.endsWith('.d.ts')) yield path;
  }
}

for (const [pkg, permitted] of Object.entries(allowed)) {
  const srcDir = join(root, 'packages', pkg, 'src');
  for (const file of sourceFiles(srcDir)) {
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(importPattern)) {
      const specifier = match[1] ?? match[2];
      if (!specifier) continue;
      const workspace = /^@agent-gateway\/[^/]+/.exec(specifier)?.[0];
      if (workspace && workspace !== `@agent-gateway/${pkg}` && !permitted.includes(workspace)) {
        problems.push(`${relative(root, file)} imports ${specifier}: ${pkg} may only depend on ${permitted.join(', ') || 'nothing in the workspace'}`);
      }
      if (specifier.startsWith('.') && /\.\.\/\.\.\/(server|client|conformance|schema)\//.test(specifier)) {
        problems.push(`${relative(root, file)} reaches into another package by path: ${specifier}`);
      }
    }
  }
}

if (problems.length > 0) {
  console.error(`Package boundary violations:\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log('package boundaries: ok');
