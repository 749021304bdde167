import { parse } from 'yaml';

/**
 * Read an expected-failures file: check IDs a team knows its gateway fails, each with a reason.
 * Accepted shapes: a list of IDs, a list of `{ id, reason }`, a map `id: reason`, or any of those
 * under a top-level `expectedFailures` key.
 */
export function parseExpectedFailures(text: string, knownIds: readonly string[]): Map<string, string> {
  let doc: unknown = parse(text);
  if (doc && typeof doc === 'object' && !Array.isArray(doc) && 'expectedFailures' in doc) doc = (doc as { expectedFailures: unknown }).expectedFailures;
  const out = new Map<string, string>();
  const add = (id: unknown, reason: unknown) => {
    if (typeof id !== 'string' || id.length === 0) throw new Error(`expected-failures: entry without a check id: ${JSON.stringify(id)}`);
    if (!knownIds.includes(id)) throw new Error(`expected-failures: unknown check id ${id}`);
    out.set(id, typeof reason === 'string' ? reason : '');
  };
  if (doc === null || doc === undefined) return out;
  if (Array.isArray(doc)) {
    for (const entry of doc) {
      if (typeof entry === 'string') add(entry, '');
      else if (entry && typeof entry === 'object')
        add((entry as { id?: unknown; check?: unknown }).id ?? (entry as { check?: unknown }).check, (entry as { reason?: unknown }).reason);
      else throw new Error(`expected-failures: cannot read entry ${JSON.stringify(entry)}`);
    }
  } else if (typeof doc === 'object') {
    for (const [id, reason] of Object.entries(doc)) add(id, reason);
  } else {
    throw new Error('expected-failures: the file must hold a list or a map of check ids');
  }
  return out;
}
