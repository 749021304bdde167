import type { Options } from 'ajv';
import { MAX_WIRE_ISSUES } from './limits.js';
import { FALLBACK_KEYWORD, SINCE_KEYWORD } from './since.js';
import { ErrorCodes, type ValidationIssue, type WireError } from './errors.js';
import { toIssues, type Validation, type ValidateFunction } from './issues.js';
import type { SchemaName, SchemaType } from './registry.js';

// Issue formatting lives in issues.ts, free of runtime imports, so the light validators entry
// point can share it; it is re-exported here for the package index.
export { MAX_REPORTED_ISSUES, check, formatIssues, toIssues, type Validation, type ValidateFunction, type ValidationIssue, type Validator } from './issues.js';

export type ValidatorTable = Record<SchemaName, ValidateFunction>;

/** Ajv options shared by the runtime compiler and the standalone generator, so both agree. */
export const AJV_OPTIONS: Options = {
  strict: true,
  // Annotations of the version each part of a message was introduced in (see since.ts).
  keywords: [SINCE_KEYWORD, FALLBACK_KEYWORD],
  discriminator: true,
  allErrors: false,
  allowUnionTypes: true,
  validateFormats: false,
  unicodeRegExp: false,
};

export function createValidate(table: ValidatorTable) {
  return function validate<N extends SchemaName>(name: N, data: unknown): Validation<SchemaType<N>> {
    const fn = table[name];
    if (fn(data)) return { ok: true, value: data as SchemaType<N> };
    return { ok: false, issues: toIssues(fn.errors) };
  };
}

/** Wire limits of ValidationIssue and ErrorDetails.issues (see errors.ts). */
const ISSUE_TEXT_MAX = 1024;
const ISSUE_KEYWORD_MAX = 64;

/**
 * The wire error for a message that failed validation. Issues are clamped to the wire limits so the
 * error is always a valid WireError, whatever produced them.
 */
export function invalidMessageError(event: string, issues: ValidationIssue[]): WireError {
  const wireIssues = issues.slice(0, MAX_WIRE_ISSUES).map((issue) => ({
    path: issue.path.slice(0, ISSUE_TEXT_MAX),
    message: issue.message.slice(0, ISSUE_TEXT_MAX),
    keyword: issue.keyword.slice(0, ISSUE_KEYWORD_MAX),
  }));
  const first = wireIssues[0];
  const where = first ? `${first.path || '(message)'} ${first.message}` : 'invalid';
  return {
    code: ErrorCodes.InvalidMessage,
    message: `Invalid ${event} message: ${where}`.slice(0, 4096),
    details: { event: event.slice(0, 256), issues: wireIssues },
    retryable: false,
  };
}
