import { describe, expect, it } from 'vitest';
import type { Hello } from '@agent-gateway/schema';
import { GatewayInstance } from '../src/gateway-instance.js';

function hello(instanceId?: string): Hello {
  const gateway = instanceId === undefined ? { name: 'g', version: '1' } : { name: 'g', version: '1', instanceId };
  return {
    protocolVersion: '1.0',
    supported: { min: '1.0', max: '1.0' },
    gateway,
    limits: { maxPayloadBytes: 1, maxFramesPerBatch: 1, maxEvents: 1, maxBytes: 1 },
  } as unknown as Hello;
}

describe('GatewayInstance', () => {
  it('tells the same state from another one, and says unknown when either greeting lacks an instanceId', () => {
    const instance = new GatewayInstance();
    expect(instance.observe(hello('a')).change).toBe('first');
    expect(instance.observe(hello('a')).change).toBe('same');
    expect(instance.observe(hello('b'))).toEqual({ change: 'changed', previous: 'a', next: 'b' });
    expect(instance.observe(hello()).change).toBe('unknown');
    expect(instance.observe(hello('b')).change).toBe('unknown');
    expect(instance.observe(hello('b')).change).toBe('same');
    expect(instance.id).toBe('b');
  });

  it('treats an empty instanceId as none', () => {
    const instance = new GatewayInstance();
    instance.observe(hello(''));
    expect(instance.id).toBeUndefined();
    expect(instance.observe(hello('')).change).toBe('unknown');
  });
});
