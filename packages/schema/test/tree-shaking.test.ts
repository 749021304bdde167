import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

// A browser client needs the wire names, the lifecycle predicates, the version and the
// precompiled validators at run time, not the schema objects. This bundles exactly those imports
// from the built package and fails if TypeBox or Ajv comes along.
describe('browser bundles of the schema package', () => {
  it('importing names, predicates, version and validators pulls in neither TypeBox nor Ajv', async () => {
    const result = await build({
      stdin: {
        contents: [
          "import { ErrorCodes, PROTOCOL_VERSION, Requests, ServerEvents, isTerminalToolPhase, isTerminalSessionStatus, isDurableEvent } from '@agent-gateway/schema';",
          "import { EventBatch, check } from '@agent-gateway/schema/validators';",
          'console.log(ErrorCodes, PROTOCOL_VERSION, Requests, ServerEvents, isTerminalToolPhase, isTerminalSessionStatus, isDurableEvent, check(EventBatch, []));',
        ].join('\n'),
        resolveDir: new URL('.', import.meta.url).pathname,
      },
      bundle: true,
      format: 'esm',
      platform: 'browser',
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    // Only inputs that contribute bytes to the output count: esbuild parses more than it keeps.
    const output = Object.values(result.metafile.outputs)[0]!;
    const inputs = Object.entries(output.inputs)
      .filter(([, info]) => info.bytesInOutput > 0)
      .map(([path]) => path);
    expect(inputs.filter((path) => /@sinclair[\\/]typebox|node_modules[\\/]ajv[\\/]/.test(path))).toEqual([]);
    expect(inputs.some((path) => path.includes('wire-names'))).toBe(true);
  });
});
