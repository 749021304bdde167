import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

// The browser bundle must carry the precompiled validators and nothing that compiles schemas at run
// time: no TypeBox schema objects, no Ajv. Bundling the built client entry for the browser shows
// what an app's bundler would keep.
describe('browser bundle of the client', () => {
  it('contains neither TypeBox nor Ajv', async () => {
    const result = await build({
      entryPoints: [new URL('../dist/index.js', import.meta.url).pathname],
      bundle: true,
      format: 'esm',
      platform: 'browser',
      minify: true,
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    // Only inputs that contribute bytes count: esbuild parses more than it keeps.
    const output = Object.values(result.metafile.outputs)[0]!;
    const kept = Object.entries(output.inputs)
      .filter(([, info]) => info.bytesInOutput > 0)
      .map(([path]) => path);
    expect(kept.filter((path) => /@sinclair[\\/]typebox|node_modules[\\/]ajv[\\/]/.test(path))).toEqual([]);
    const code = result.outputFiles[0]!.text;
    expect(code).not.toMatch(/\bnew Function\(|\brequire\(/);
  });
});
