import type { SessionEvent } from '@agent-gateway/schema';
import { describe, expect, it } from 'vitest';
import { AppendBatcher } from '../src/runs/append-batcher.js';
import { messages } from './helpers/events.js';

/** A store whose appends finish only when the test says so. */
function controlledStore() {
  const calls: SessionEvent[][] = [];
  const finish: Array<(error?: Error) => void> = [];
  const append = (events: SessionEvent[]) => {
    calls.push(events);
    return new Promise<void>((resolve, reject) => finish.push((error) => (error ? reject(error) : resolve())));
  };
  return { calls, append, finishNext: (error?: Error) => finish.shift()!(error) };
}

const ids = (events: SessionEvent[]) => events.map((e) => (e as { messageId: string }).messageId);

describe('AppendBatcher', () => {
  it('appends at once when idle, then takes everything queued meanwhile as one batch, in order', async () => {
    const store = controlledStore();
    const log = new AppendBatcher(store.append);
    const [a, b, c, d] = messages(4);
    await log.add([a!]);
    expect(store.calls.map(ids)).toEqual([['m1']]);
    await log.add([b!]);
    await log.add([c!, d!]);
    expect(store.calls).toHaveLength(1);
    store.finishNext();
    await Promise.resolve();
    await Promise.resolve();
    expect(store.calls.map(ids)).toEqual([['m1'], ['m2', 'm3', 'm4']]);
    store.finishNext();
    await log.flush();
    expect(store.calls).toHaveLength(2);
  });

  it('makes the producer wait once maxPending events are waiting', async () => {
    const store = controlledStore();
    const log = new AppendBatcher(store.append, 3);
    await log.add(messages(1));
    let released = false;
    const adding = log.add(messages(3, 'w')).then(() => (released = true));
    await Promise.resolve();
    expect(released).toBe(false);
    store.finishNext();
    await adding;
    expect(released).toBe(true);
    store.finishNext();
    await log.flush();
  });

  it('reports an append failure to the next add and to flush, and appends nothing after it', async () => {
    const store = controlledStore();
    const log = new AppendBatcher(store.append);
    await log.add(messages(1));
    await log.add(messages(1, 'later'));
    store.finishNext(new Error('store down'));
    await expect(log.flush()).rejects.toThrow('store down');
    await expect(log.add(messages(1, 'x'))).rejects.toThrow('store down');
    expect(store.calls).toHaveLength(1);
  });
});
