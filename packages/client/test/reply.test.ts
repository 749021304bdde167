import { describe, expect, it } from 'vitest';
import { RunReply, type ReplyPart } from '../src/reply.js';

async function collect(reply: RunReply): Promise<ReplyPart[]> {
  const parts: ReplyPart[] = [];
  for await (const part of reply) parts.push(part);
  return parts;
}

describe('RunReply', () => {
  it('yields chunks in order then the end, once each', async () => {
    const reply = new RunReply('s', 'r', true);
    const parts = collect(reply);
    reply.chunk('st', 0, 'Hel');
    reply.chunk('st', 1, 'lo');
    reply.chunk('st', 1, 'lo'); // duplicate index
    reply.streamEnd('st', 'Hello');
    reply.response('Hello');
    reply.end('completed');
    reply.chunk('st', 2, 'late');
    expect(await parts).toEqual([
      { type: 'chunk', text: 'Hel' },
      { type: 'chunk', text: 'lo' },
      { type: 'end', status: 'completed', text: 'Hello' },
    ]);
  });

  it('waits out a hole (compacted chunks) and catches up from the stream end', () => {
    const reply = new RunReply('s', 'r', true);
    reply.chunk('st', 0, 'a');
    reply.chunk('st', 3, 'd'); // 1 and 2 missing
    reply.chunk('st', 4, 'e');
    expect(reply.text).toBe('a');
    reply.streamEnd('st', 'abcde');
    expect(reply.text).toBe('abcde');
  });

  it('takes a stream whose chunks were all compacted from its end', () => {
    const reply = new RunReply('s', 'r', true);
    reply.streamEnd('st', 'whole');
    expect(reply.text).toBe('whole');
  });

  it('continues from a snapshot text without duplicating, then appends live chunks', () => {
    const reply = new RunReply('s', 'r', true);
    reply.chunk('st', 0, 'one ');
    reply.snapshotText('one two ');
    reply.chunk('st', 2, 'three');
    expect(reply.text).toBe('one two three');
    reply.streamEnd('st', 'one two three');
    reply.response('one two three');
    expect(reply.text).toBe('one two three');
  });

  it('ignores a source that does not continue the text', () => {
    const reply = new RunReply('s', 'r', true);
    reply.chunk('st', 0, 'abc');
    reply.snapshotText('xyz');
    reply.response('ab');
    expect(reply.text).toBe('abc');
  });

  it('lets a late reader replay from the beginning', async () => {
    const reply = new RunReply('s', 'r', true);
    reply.chunk('st', 0, 'x');
    reply.end('aborted');
    expect(await collect(reply)).toEqual([
      { type: 'chunk', text: 'x' },
      { type: 'end', status: 'aborted', text: 'x' },
    ]);
    expect((await reply.finished()).status).toBe('aborted');
  });
});

describe('RunReply failure', () => {
  it('stops waiting readers when failed, after the text it had', async () => {
    const reply = new RunReply('s', 'r', true);
    reply.chunk('st', 0, 'x');
    const reading = (async () => {
      const seen: string[] = [];
      try {
        for await (const part of reply) if (part.type === 'chunk') seen.push(part.text);
      } catch (error) {
        return { seen, error: (error as Error).message };
      }
      return { seen, error: undefined };
    })();
    reply.fail(new Error('closed'));
    expect(await reading).toEqual({ seen: ['x'], error: 'closed' });
  });
});

describe('RunReply with several streams', () => {
  it('appends streams in order and repairs a hole in the second from its end', () => {
    const reply = new RunReply('s', 'r', true);
    reply.chunk('a', 0, 'one ');
    reply.chunk('a', 1, 'two ');
    reply.streamEnd('a', 'one two ');
    reply.chunk('b', 0, 'three ');
    reply.chunk('b', 2, 'five'); // index 1 was compacted away
    expect(reply.text).toBe('one two three ');
    reply.streamEnd('b', 'three four five');
    expect(reply.text).toBe('one two three four five');
    reply.response('one two three four five');
    expect(reply.text).toBe('one two three four five');
  });
});
