import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Parser } from '@asyncapi/parser';
import { describe, expect, it } from 'vitest';
import { Requests, Schemas, ServerEvents } from '../src/index.js';

const packageDir = join(import.meta.dirname, '..');
const read = (path: string): string => readFileSync(join(packageDir, path), 'utf8');

// Spectral severities as reported by the parser: 0 error, 1 warning, 2 information, 3 hint.
const ERROR_SEVERITY = 0;

describe('generated artefacts', () => {
  it('AsyncAPI 3.0 document is accepted by @asyncapi/parser with no error diagnostics', async () => {
    const text = read('generated/asyncapi.json');
    const { document, diagnostics } = await new Parser().parse(text);
    const errors = diagnostics.filter((d) => d.severity === ERROR_SEVERITY).map((d) => `${d.code} at ${d.path.join('/')}: ${d.message}`);
    expect(errors).toEqual([]);
    expect(document?.version()).toBe('3.0.0');
    const addresses =
      document
        ?.channels()
        .all()
        .map((channel) => channel.address()) ?? [];
    for (const event of [...Object.keys(Requests), ...Object.keys(ServerEvents)]) expect(addresses).toContain(event);
    const operations = document?.operations().all() ?? [];
    for (const event of Object.keys(Requests)) {
      const operation = operations.find(
        (op) =>
          op
            .channels()
            .all()
            .some((ch) => ch.address() === event) && op.isSend(),
      );
      expect(
        operation
          ?.reply()
          ?.messages()
          .all()
          .map((m) => m.name()),
        event,
      ).toEqual([Requests[event as keyof typeof Requests].result]);
    }
    for (const event of Object.keys(ServerEvents)) {
      expect(
        operations.some(
          (op) =>
            op.isReceive() &&
            op
              .channels()
              .all()
              .some((ch) => ch.address() === event),
        ),
        event,
      ).toBe(true);
    }
  }, 60_000);

  it('a broken AsyncAPI document is rejected, so the check above can fail', async () => {
    const doc = JSON.parse(read('generated/asyncapi.json')) as { operations: Record<string, { channel: unknown }> };
    doc.operations.join!.channel = { $ref: '#/channels/doesNotExist' };
    const { diagnostics } = await new Parser().parse(JSON.stringify(doc));
    expect(diagnostics.some((d) => d.severity === ERROR_SEVERITY)).toBe(true);
  }, 60_000);

  it('the JSON Schema bundle holds every registry schema and maps every request and event', () => {
    const bundle = JSON.parse(read('generated/protocol.schema.json')) as {
      $schema: string;
      $defs: Record<string, { title?: string }>;
      'x-requests': Record<string, unknown>;
      'x-serverEvents': Record<string, unknown>;
    };
    expect(bundle.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    for (const name of Object.keys(Schemas)) expect(bundle.$defs[name]?.title, name).toBe(name);
    expect(Object.keys(bundle['x-requests'])).toEqual(Object.keys(Requests));
    expect(Object.keys(bundle['x-serverEvents'])).toEqual(Object.keys(ServerEvents));
  });

  it('precompiled validators are plain ESM without require() or runtime compilation', () => {
    const code = read('src/generated/validators.js');
    expect(code.startsWith('// generated — do not edit')).toBe(true);
    expect(code).not.toMatch(/\brequire\s*\(/);
    expect(code).not.toMatch(/new Function|\beval\(/);
    expect(code).not.toMatch(/^\s*import\s/m);
    for (const name of Object.keys(Schemas)) expect(code).toContain(`export const ${name} = `);
  });

  it('PROTOCOL.md includes the semantics verbatim and a section per schema', () => {
    const markdown = read('PROTOCOL.md');
    expect(markdown).toContain(read('docs/semantics.md').trimEnd());
    expect(markdown).toContain(read('docs/versioning.md').trim());
    for (const name of Object.keys(Schemas)) expect(markdown).toContain(`### ${name}\n`);
  });
});
