import type { ResultOf, WireError } from '@agent-gateway/schema';
import { CheckFailure } from './errors.js';

/** Fail the check unless `condition` holds. `expected` lists every acceptable outcome. */
/** `blame` narrows the requirements a failure falsifies when the check verifies several. */
export function expect(condition: unknown, message: string, expected: string | string[], actual?: unknown, blame?: readonly string[]): asserts condition {
  if (!condition) throw new CheckFailure(message, Array.isArray(expected) ? expected : [expected], actual, blame);
}

export function expectEqual<T>(actual: T, wanted: T, what: string): void {
  if (JSON.stringify(actual) !== JSON.stringify(wanted)) {
    throw new CheckFailure(`${what} is ${JSON.stringify(actual)}`, [`${what} = ${JSON.stringify(wanted)}`], actual);
  }
}

/** The answer must be `{ ok: true, data }`; returns data. */
type DataOf<R> = Extract<R, { ok: true }> extends { data: infer D } ? D : unknown;

export function expectOk<R>(result: R, what: string): DataOf<R> {
  const r = result as ResultOf<DataOf<R>>;
  if (!r || typeof r !== 'object' || r.ok !== true) {
    throw new CheckFailure(`${what} was not accepted`, [`${what} answers { ok: true, data }`], result);
  }
  return r.data;
}

/** The answer must be `{ ok: false, error }` with this code (and, if given, an issue at `path`). */
export function expectError(result: unknown, code: string, what: string, opts: { path?: string } = {}): WireError {
  const r = result as ResultOf<unknown>;
  const wanted = opts.path !== undefined ? `{ ok: false, error.code ${code}, details.issues naming path "${opts.path}" }` : `{ ok: false, error.code ${code} }`;
  if (!r || typeof r !== 'object' || r.ok !== false || !r.error) throw new CheckFailure(`${what} was not refused`, [wanted], result);
  if (r.error.code !== code) throw new CheckFailure(`${what} was refused with ${r.error.code}`, [wanted], result);
  expectStructured(r.error, what);
  if (opts.path !== undefined) {
    const paths = (r.error.details?.issues ?? []).map((i) => i.path);
    if (!paths.includes(opts.path)) throw new CheckFailure(`${what}: error does not name path ${opts.path}`, [wanted], r.error);
  }
  return r.error;
}

/** A structured error has a code and a human message. */
export function expectStructured(error: WireError, what: string): void {
  expect(typeof error.code === 'string' && error.code.length > 0, `${what}: error without code`, 'error.code', error);
  expect(typeof error.message === 'string' && error.message.length > 0, `${what}: error without a human message`, 'error.message non-empty', error);
}
