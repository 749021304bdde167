/*
 * `@agent-gateway/schema/tooling`: what tools around the protocol need and gateways and clients do
 * not: run-time compilation of every validator (to cross-check the precompiled ones), the Ajv
 * options both share, and the wire-compatibility check against a released baseline.
 */
export { AJV_OPTIONS, createValidate, type ValidatorTable } from './validate.js';
export { compileValidators } from './compile.js';
export { precompiledValidators } from './default-validate.js';
export { findBreakingChanges, disallowedBreakingChanges, majorOf, type BreakingChange, type BreakingChangeKind, type BundleLike } from './compat.js';
