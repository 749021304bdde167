import { validate, type SchemaName, type ValidationIssue } from '@agent-gateway/schema';
import { ClientError, ClientErrorCodes } from './errors.js';

/** true: always validate inbound messages; false: never; 'development': unless NODE_ENV is production. */
export type ValidationMode = boolean | 'development';

/**
 * NODE_ENV, read so that both worlds work: in Node it is the real variable; app bundlers (esbuild,
 * Vite, webpack) replace the literal `process.env.NODE_ENV` with a string at build time; in a browser
 * without such a build step `process` does not exist and the read throws, which means "not production".
 */
function nodeEnv(): string | undefined {
  try {
    return process.env.NODE_ENV;
  } catch {
    return undefined;
  }
}

export function resolveValidation(mode: ValidationMode | undefined): boolean {
  if (mode === true || mode === false) return mode;
  return nodeEnv() !== 'production';
}

function describeIssues(issues: readonly ValidationIssue[]): string {
  return issues
    .slice(0, 3)
    .map((issue) => `${issue.path || '(message)'} ${issue.message}`)
    .join('; ');
}

/** Check one inbound message; the error names the message and the offending paths. */
export function validateInbound(what: string, schema: SchemaName, payload: unknown): { ok: true } | { ok: false; error: ClientError } {
  const result = validate(schema, payload);
  if (result.ok) return { ok: true };
  return {
    ok: false,
    error: new ClientError(ClientErrorCodes.InvalidFrame, `Invalid ${what} (${schema}): ${describeIssues(result.issues)}`, {
      issues: result.issues,
      event: what,
    }),
  };
}
