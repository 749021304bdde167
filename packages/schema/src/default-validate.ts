import * as generated from './generated/validators.js';
import { createValidate, type ValidatorTable } from './validate.js';

/**
 * The validators precompiled by `npm run gen` (Ajv standalone code): no schema compilation and no
 * `new Function` at import time, so this works under a strict Content-Security-Policy. The type
 * annotation fails to compile when a registry schema has no generated validator (run `npm run gen`).
 */
export const precompiledValidators: ValidatorTable = generated;

/** Validate any registry message by schema name. */
export const validate = createValidate(precompiledValidators);
