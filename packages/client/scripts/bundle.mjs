// Browser ESM bundle of the client for the web example, and its size (minified + gzip).
// Usage: node scripts/bundle.mjs [--size]   (--size: only measure, print JSON, write nothing)
import { build } from 'esbuild';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const outFile = join(packageDir, 'examples/web-chat/public/vendor/agent-gateway-client.js');
const measureOnly = process.argv.includes('--size');

const result = await build({
  entryPoints: [join(packageDir, 'dist/index.js')],
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: ['es2022'],
  minify: true,
  sourcemap: measureOnly ? false : 'linked',
  legalComments: 'none',
  // The browser path must not need Node: fail the build if anything reaches for a built-in.
  external: [],
  outfile: outFile,
  write: false,
  metafile: true,
  logLevel: 'warning',
});

const js = result.outputFiles.find((file) => file.path.endsWith('.js'));
if (!js) throw new Error('esbuild produced no JavaScript');
const minifiedBytes = js.contents.byteLength;
const gzipBytes = gzipSync(js.contents, { level: 9 }).byteLength;
const inputs = Object.entries(result.metafile.outputs[Object.keys(result.metafile.outputs).find((k) => k.endsWith('.js'))].inputs).reduce(
  (acc, [path, { bytesInOutput }]) => {
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1] ?? (/(^|\/)schema\/dist\//.test(path) ? '@agent-gateway/schema' : '@agent-gateway/client');
    acc[pkg] = (acc[pkg] ?? 0) + bytesInOutput;
    return acc;
  },
  {},
);

if (measureOnly) {
  console.log(JSON.stringify({ minifiedBytes, gzipBytes, byPackage: inputs }, null, 2));
} else {
  mkdirSync(dirname(outFile), { recursive: true });
  for (const file of result.outputFiles) writeFileSync(file.path, file.contents);
  console.log(`browser bundle: ${outFile} (${minifiedBytes} B minified, ${gzipBytes} B gzip)`);
}
