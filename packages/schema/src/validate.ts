import type { ErrorObject, Options } from 'ajv';
import { ErrorCodes, type ValidationIssue, type WireError } from './errors.js';
import type { SchemaName, SchemaType } from './registry.js';

export type { ValidationIssue };

export type Validation<T> = { ok: true; value: T } | { ok: false; issues: ValidationIssue[] };

/** The shape of an Ajv validate function, compiled or precompiled. */
export type ValidateFunction = ((data: unknown) => boolean) & { errors?: ErrorObject[] | null };

export type ValidatorTable = Record<SchemaName, ValidateFunction>;

/** Ajv options shared by the runtime compiler and the standalone generator, so both agree. */
export const AJV_OPTIONS: Options = {
  strict: true,
  discriminator: true,
  allErrors: false,
  allowUnionTypes: true,
  validateFormats: false,
  unicodeRegExp: false,
};

export const MAX_REPORTED_ISSUES = 20;

function describe(error: ErrorObject): ValidationIssue {
  let path = error.instancePath;
  let message = error.message ?? 'is invalid';
  const params = error.params as Record<string, unknown>;
  if (error.keyword === 'additionalProperties' && typeof params.additionalProperty === 'string') {
    path = `${path}/${escapePointer(params.additionalProperty)}`;
    message = 'is not allowed here (unknown property)';
  } else if (error.keyword === 'required' && typeof params.missingProperty === 'string') {
    path = `${path}/${escapePointer(params.missingProperty)}`;
    message = 'is required';
  } else if (error.keyword === 'discriminator' && typeof params.tag === 'string') {
    path = `${path}/${escapePointer(params.tag)}`;
    message = params.tagValue === undefined ? 'is required and must be a known type' : `must be one of the known types, got ${JSON.stringify(params.tagValue).slice(0, 64)}`;
  } else if (error.keyword === 'const' && params.allowedValue !== undefined) {
    message = `must be ${JSON.stringify(params.allowedValue)}`;
  } else if (error.keyword === 'enum' && Array.isArray(params.allowedValues)) {
    message = `must be one of ${params.allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
  }
  return { path, message, keyword: error.keyword };
}

function escapePointer(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1').slice(0, 200);
}

/** Turn raw Ajv errors into path-named issues: most specific first, duplicates removed. */
export function toIssues(errors: readonly ErrorObject[] | null | undefined): ValidationIssue[] {
  if (!errors || errors.length === 0) return [{ path: '', message: 'is invalid', keyword: 'unknown' }];
  const seen = new Set<string>();
  const issues: ValidationIssue[] = [];
  for (const error of errors) {
    const issue = describe(error);
    const key = `${issue.path}\u0000${issue.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    issues.push(issue);
    if (issues.length >= MAX_REPORTED_ISSUES) break;
  }
  return issues;
}

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
const WIRE_ISSUES_MAX = 100;

/**
 * The wire error for a message that failed validation. Issues are clamped to the wire limits so the
 * error is always a valid WireError, whatever produced them.
 */
export function invalidMessageError(event: string, issues: ValidationIssue[]): WireError {
  const wireIssues = issues.slice(0, WIRE_ISSUES_MAX).map((issue) => ({
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
