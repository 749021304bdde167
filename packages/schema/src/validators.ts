/*
 * `@agent-gateway/schema/validators`: the light entry point for browsers and other size-sensitive
 * consumers. One precompiled validator per registry schema (named after the schema, typed as a guard
 * of its Static type) and the helpers to run them and report issues. It loads neither TypeBox nor
 * Ajv, and every validator is a separate export, so a bundler keeps only the ones imported (shared
 * sub-schema validators stay shared). The package index (`validate(name, data)`) uses the same
 * generated module, so both entry points always agree.
 *
 *   import { EventBatch, check } from '@agent-gateway/schema/validators';
 *   const result = check(EventBatch, payload); // Validation<SchemaType<'EventBatch'>>
 */
export * from './generated/validators.js';
export { check, formatIssues, toIssues, MAX_REPORTED_ISSUES, type Validation, type ValidationIssue, type Validator } from './issues.js';
