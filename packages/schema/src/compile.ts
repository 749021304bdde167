import { Ajv } from 'ajv';
import { Schemas, type SchemaName } from './registry.js';
import { AJV_OPTIONS, type ValidateFunction, type ValidatorTable } from './validate.js';

/**
 * Compile every schema of the registry with Ajv at run time. Tests and tools use it to cross-check
 * the precompiled validators; it needs `new Function`, so gateways and browsers use `validate`.
 * Kept apart from validate.ts so a bundle that never calls it leaves Ajv out.
 */
export function compileValidators(): ValidatorTable {
  const ajv = new Ajv(AJV_OPTIONS);
  const table = {} as ValidatorTable;
  for (const name of Object.keys(Schemas) as SchemaName[]) {
    table[name] = ajv.compile(Schemas[name]) as ValidateFunction;
  }
  return table;
}
