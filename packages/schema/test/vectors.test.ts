import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { Requests, Schemas, ServerEvents, invalidMessageError, type SchemaName } from '../src/index.js';
import { AJV_OPTIONS, compileValidators, createValidate, precompiledValidators } from '../src/tooling.js';

interface Vector {
  description: string;
  data: unknown;
  expectPath?: string;
}
interface VectorFile {
  schema: SchemaName;
  valid: Vector[];
  invalid: Vector[];
}

const vectorsDir = join(import.meta.dirname, '..', 'vectors');
const files: VectorFile[] = readdirSync(vectorsDir)
  .filter((name) => name.endsWith('.json'))
  .sort()
  .map((name) => {
    const file = JSON.parse(readFileSync(join(vectorsDir, name), 'utf8')) as VectorFile;
    expect(`${file.schema}.json`, 'a vector file is named after its schema').toBe(name);
    return file;
  });

const precompiled = createValidate(precompiledValidators);
const compiled = createValidate(compileValidators());

/** The bundle must say the same as the validators: implementers in other languages start from it. */
function bundleValidator(): (name: SchemaName, data: unknown) => boolean {
  const bundle = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'generated', 'protocol.schema.json'), 'utf8')) as { $id: string };
  const ajv = new Ajv2020({ ...AJV_OPTIONS });
  ajv.addVocabulary(['x-protocolVersion', 'x-handshakeAuth', 'x-requests', 'x-serverEvents']);
  ajv.addSchema(bundle);
  return (name, data) => {
    const validate = ajv.getSchema(`${bundle.$id}#/$defs/${name}`);
    if (!validate) throw new Error(`bundle has no $defs/${name}`);
    return validate(data) as boolean;
  };
}
const viaBundle = bundleValidator();

/** Schemas whose only valid instance is `{}`: one valid vector is all there can be. */
const SINGLE_VALUE_SCHEMAS = new Set<SchemaName>(['DiagnosticsGetParams']);

describe('test vectors', () => {
  it('cover every request params and result and every server event payload', () => {
    const covered = new Set(files.map((file) => file.schema));
    const needed = new Set<SchemaName>([
      ...Object.values(Requests).flatMap((entry) => [entry.params, entry.result]),
      ...Object.values(ServerEvents).map((entry) => entry.payload),
    ]);
    expect([...needed].filter((name) => !covered.has(name))).toEqual([]);
    for (const file of files) {
      expect(Object.keys(Schemas), file.schema).toContain(file.schema);
      expect(file.valid.length, `${file.schema} valid vectors`).toBeGreaterThanOrEqual(SINGLE_VALUE_SCHEMAS.has(file.schema) ? 1 : 2);
      expect(file.invalid.length, `${file.schema} invalid vectors`).toBeGreaterThanOrEqual(3);
      for (const vector of file.invalid) expect(typeof vector.expectPath, `${file.schema}: ${vector.description} names its path`).toBe('string');
    }
  });

  describe.each(files.map((file) => [file.schema, file] as const))('%s', (_name, file) => {
    it('accepts every valid vector with the precompiled, the compiled and the bundle validators', () => {
      for (const vector of file.valid) {
        const label = `${file.schema}: ${vector.description}`;
        expect(precompiled(file.schema, vector.data), label).toEqual({ ok: true, value: vector.data });
        expect(compiled(file.schema, vector.data), label).toEqual({ ok: true, value: vector.data });
        expect(viaBundle(file.schema, vector.data), `${label} (bundle)`).toBe(true);
      }
    });

    it('rejects every invalid vector at its path, and both validator sets report the same issues', () => {
      for (const vector of file.invalid) {
        const label = `${file.schema}: ${vector.description}`;
        const fromPrecompiled = precompiled(file.schema, vector.data);
        const fromCompiled = compiled(file.schema, vector.data);
        expect(fromPrecompiled.ok, label).toBe(false);
        expect(fromCompiled, label).toEqual(fromPrecompiled);
        if (!fromPrecompiled.ok)
          expect(
            fromPrecompiled.issues.map((issue) => issue.path),
            label,
          ).toContain(vector.expectPath);
        expect(viaBundle(file.schema, vector.data), `${label} (bundle)`).toBe(false);
      }
    });
  });

  it('builds a wire error for every invalid vector that is itself a valid WireError', () => {
    for (const file of files) {
      for (const vector of file.invalid) {
        const result = precompiled(file.schema, vector.data);
        if (result.ok) continue;
        const error = invalidMessageError(file.schema, result.issues);
        expect(precompiled('WireError', error), `${file.schema}: ${vector.description}`).toEqual({ ok: true, value: error });
      }
    }
  });

  it('keeps the wire error valid for hostile event names and many issues', () => {
    const issues = Array.from({ length: 150 }, (_, i) => ({ path: `/${'a'.repeat(2000)}/${i}`, message: 'm'.repeat(5000), keyword: 'type' }));
    const result = precompiled('JoinParams', { sessionId: 's', since: '5', a: 1 });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(precompiled('WireError', invalidMessageError('join', result.issues)).ok).toBe(true);
    const hostile = invalidMessageError('e'.repeat(10_000), issues);
    expect(hostile.details?.event?.length).toBe(256);
    expect(precompiled('WireError', hostile)).toEqual({ ok: true, value: hostile });
  });
});
