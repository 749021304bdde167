import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { downgradeMessage, negotiateProtocolVersion, PROTOCOL_VERSION, Requests, Schemas, ServerEvents, SINCE_KEYWORD, type SchemaName } from '../src/index.js';

const packageDir = new URL('..', import.meta.url).pathname;
const baseline = JSON.parse(readFileSync(join(packageDir, 'baseline/1.0/protocol.schema.json'), 'utf8')) as { $id: string };

/** Validators of the released 1.0 schema: what a 1.0 peer accepts. */
const ajv = new Ajv2020({ strict: false, discriminator: true, allowUnionTypes: true, validateFormats: false });
ajv.addSchema(baseline);
const accepts10 = (name: SchemaName, data: unknown) => {
  const validate = ajv.getSchema(`${baseline.$id}#/$defs/${name}`);
  if (!validate) throw new Error(`1.0 has no ${name}`);
  return { ok: validate(data) as boolean, errors: validate.errors };
};

interface VectorFile {
  schema: SchemaName;
  valid: { description: string; data: unknown }[];
}
const vectors = readdirSync(join(packageDir, 'vectors'))
  .filter((f) => f.endsWith('.json'))
  .map((f) => JSON.parse(readFileSync(join(packageDir, 'vectors', f), 'utf8')) as VectorFile);
/** Results of requests a 1.0 peer can send (a request added later is never sent by it, so its result never reaches it). */
const knownTo10 = (name: SchemaName) => !(SINCE_KEYWORD in Schemas[name]);
const received = new Set<SchemaName>([
  ...Object.values(ServerEvents).map((e) => e.payload),
  ...Object.values(Requests)
    .filter((e) => knownTo10(e.params))
    .map((e) => e.result),
]);

describe('serving a peer that negotiated an earlier minor', () => {
  it('negotiates the highest minor both sides know', () => {
    expect(PROTOCOL_VERSION).toBe('1.1');
    expect(negotiateProtocolVersion('1.0')).toBe('1.0');
    expect(negotiateProtocolVersion('1.1')).toBe('1.1');
    expect(negotiateProtocolVersion('1.7')).toBe('1.1');
    expect(negotiateProtocolVersion('2.0')).toBeUndefined();
    expect(negotiateProtocolVersion('0.9')).toBeUndefined();
    expect(negotiateProtocolVersion('x')).toBeUndefined();
  });

  it('every message a client receives, downgraded to 1.0, validates against the released 1.0 schema', () => {
    let checked = 0;
    let changed = 0;
    for (const file of vectors.filter((f) => received.has(f.schema))) {
      for (const vector of file.valid) {
        const before = JSON.stringify(vector.data);
        const downgraded = downgradeMessage(file.schema, vector.data, '1.0');
        expect(JSON.stringify(vector.data), 'the input is never modified').toBe(before);
        // A message 1.0 cannot express at all is not sent to a 1.0 peer.
        if (downgraded === undefined) {
          changed++;
          continue;
        }
        const result = accepts10(file.schema, downgraded);
        expect(result.ok, `${file.schema}: ${vector.description}: ${JSON.stringify(result.errors)}`).toBe(true);
        checked++;
        if (downgraded !== vector.data) changed++;
      }
    }
    expect(checked).toBeGreaterThan(40);
    // The 1.1 vectors really exercise the downgrade: without it they fail under 1.0.
    expect(changed).toBeGreaterThanOrEqual(5);
  });

  it('without the downgrade, the 1.1 additions are rejected by a 1.0 peer (so the test above can fail)', () => {
    const hello = vectors.find((f) => f.schema === 'Hello')!.valid.find((v) => v.description.startsWith('1.1'))!.data;
    expect(accepts10('Hello', hello).ok).toBe(false);
    expect(accepts10('Hello', downgradeMessage('Hello', hello, '1.0')).ok).toBe(true);
  });

  it('leaves out later fields, replaces later error codes by their fallback, keeps everything else', () => {
    const error = { ok: false, error: { code: 'SLOW_CONSUMER', message: 'm', details: { queueLength: 3, sessionId: 's' }, retryable: true } };
    expect(downgradeMessage('ChatSendResult', error, '1.0')).toEqual({
      ok: false,
      error: { code: 'BUSY', message: 'm', details: { sessionId: 's' }, retryable: true },
    });
    expect(downgradeMessage('ChatSendResult', error, '1.1')).toBe(error);
    const frames = [
      { sessionId: 's', epoch: 'e', seq: 1, event: { type: 'response', runId: 'r', messageId: 'm', text: 't', truncated: true, at: 1 } },
      { sessionId: 's', epoch: 'e', seq: 2, event: { type: 'run.end', runId: 'r', status: 'completed', at: 2 } },
    ];
    const down = downgradeMessage('EventBatch', frames, '1.0') as typeof frames;
    expect(down[0]!.event).toEqual({ type: 'response', runId: 'r', messageId: 'm', text: 't', at: 1 });
    expect(down[1]).toBe(frames[1]);
    expect(frames[0]!.event.truncated).toBe(true);
  });

  it('leaves later values without a fallback out of lists (control commands a 1.0 peer does not know)', () => {
    const data = { ok: true, data: { type: 'capabilities', commands: ['capabilities', 'pressure.pulse', 'session.append', 'diagnostics.interval'] } };
    expect(downgradeMessage('ControlResult', data, '1.0')).toEqual({ ok: true, data: { type: 'capabilities', commands: ['capabilities', 'session.append'] } });
    expect(accepts10('ControlResult', downgradeMessage('ControlResult', data, '1.0')).ok).toBe(true);
  });
});
