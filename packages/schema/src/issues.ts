/*
 * Turning validator errors into path-named issues. This module must stay free of runtime imports
 * (no TypeBox schema objects, no Ajv): the light `@agent-gateway/schema/validators` entry point is
 * built on it, and browser bundles that use only that entry must not pull either library in.
 */
import type { ErrorObject } from 'ajv';
import type { ValidationIssue } from './errors.js';

export type { ValidationIssue };

export type Validation<T> = { ok: true; value: T } | { ok: false; issues: ValidationIssue[] };

/** The shape of an Ajv validate function, compiled or precompiled. */
export type ValidateFunction = ((data: unknown) => boolean) & { errors?: ErrorObject[] | null };

/**
 * A precompiled validator of one registry schema: a type guard for the schema's Static type, with
 * Ajv's `errors` set after a failed call. The generated validators are declared with this type.
 */
export type Validator<T> = ((data: unknown) => data is T) & { errors?: ErrorObject[] | null };

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
    message =
      params.tagValue === undefined
        ? 'is required and must be a known type'
        : `must be one of the known types, got ${JSON.stringify(params.tagValue).slice(0, 64)}`;
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

/** Run one precompiled validator: the same result shape as `validate(name, data)`. */
export function check<T>(validator: Validator<T>, data: unknown): Validation<T> {
  if (validator(data)) return { ok: true, value: data };
  return { ok: false, issues: toIssues(validator.errors) };
}

/** One line for logs and error messages: the first `max` issues as "path message", `;`-separated. */
export function formatIssues(issues: readonly ValidationIssue[], max = 3): string {
  return issues
    .slice(0, max)
    .map((issue) => `${issue.path || '(message)'} ${issue.message}`)
    .join('; ');
}
