import { compileValidators, createValidate } from './validate.js';

/** Validate any registry message by schema name. */
export const validate = createValidate(compileValidators());
