import { afterEach, describe, expect, it, vi } from 'vitest';
import { resolveValidation, validateInbound } from '../src/validation.js';

describe('inbound validation', () => {
  afterEach(() => vi.unstubAllEnvs());

  it('names the offending message and path', () => {
    const result = validateInbound('server event "session.event"', 'EventBatch', [{ sessionId: 's', epoch: 'e', seq: '3', event: { type: 'nope' } }]);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe('INVALID_FRAME');
    expect(result.error.message).toContain('server event "session.event"');
    expect(result.error.message).toContain('/0/');
    expect(result.error.issues?.length).toBeGreaterThan(0);
  });

  it('accepts a valid message', () => {
    expect(validateInbound('x', 'SessionsListResult', { ok: true, data: { sessions: [] } })).toEqual({ ok: true });
  });

  it('reports a schema the client never receives as a caller error', () => {
    const result = validateInbound('x', 'SessionsListParams' as never, { limit: 3 });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.code).toBe('INVALID_ARGUMENT');
  });

  it('is on in development, off in production unless forced', () => {
    vi.stubEnv('NODE_ENV', 'production');
    expect(resolveValidation('development')).toBe(false);
    expect(resolveValidation(undefined)).toBe(false);
    expect(resolveValidation(true)).toBe(true);
    vi.stubEnv('NODE_ENV', 'test');
    expect(resolveValidation('development')).toBe(true);
    expect(resolveValidation(false)).toBe(false);
  });
});
