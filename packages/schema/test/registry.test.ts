import { describe, expect, it } from 'vitest';
import { REQUEST_NAMES, Requests, SERVER_EVENT_NAMES, ServerEvents, Schemas, validate } from '../src/index.js';

describe('registry', () => {
  it('names a schema for every request param, data and result, and every server event payload', () => {
    for (const name of REQUEST_NAMES) {
      const entry = Requests[name];
      expect(Schemas[entry.params], `${name} params`).toBeDefined();
      expect(Schemas[entry.data], `${name} data`).toBeDefined();
      expect(Schemas[entry.result], `${name} result`).toBeDefined();
    }
    for (const name of SERVER_EVENT_NAMES) expect(Schemas[ServerEvents[name].payload], name).toBeDefined();
  });

  it.each([
    ['"5"', '5'],
    ['1.5', 1.5],
    ['-1', -1],
    ['2^64', 2 ** 64],
    ['null', null],
  ])('rejects since = %s at /since', (_label, since) => {
    const result = validate('JoinParams', { sessionId: 's1', since });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.issues[0]?.path).toBe('/since');
  });

  it('names an unknown property by its path', () => {
    const result = validate('JoinParams', { sessionId: 's1', extra: true });
    expect(result).toEqual({ ok: false, issues: [{ path: '/extra', message: 'is not allowed here (unknown property)', keyword: 'additionalProperties' }] });
  });
});
