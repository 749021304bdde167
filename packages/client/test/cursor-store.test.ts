import { describe, expect, it } from 'vitest';
import { memoryCursorStore, webStorageCursorStore, type KeyValueStorage } from '../src/cursor-store.js';

function fakeStorage(): KeyValueStorage & { data: Map<string, string> } {
  const data = new Map<string, string>();
  return { data, getItem: (k) => data.get(k) ?? null, setItem: (k, v) => void data.set(k, v), removeItem: (k) => void data.delete(k) };
}

describe('cursor stores', () => {
  it('memory store round-trips', async () => {
    const store = memoryCursorStore();
    await store.save('a', { epoch: 'e', seq: 3 });
    expect(await store.load('a')).toEqual({ epoch: 'e', seq: 3 });
    await store.clear?.('a');
    expect(await store.load('a')).toBeUndefined();
  });

  it('web storage store round-trips and ignores corrupt entries', () => {
    const storage = fakeStorage();
    const store = webStorageCursorStore(storage, 'p:');
    void store.save('a', { epoch: 'e', seq: 7 });
    expect(store.load('a')).toEqual({ epoch: 'e', seq: 7 });
    for (const bad of ['not json', '{"epoch":"e","seq":"7"}', '{"epoch":"e","seq":-1}', '{"epoch":"","seq":1}', '{"epoch":"e","seq":1.5}']) {
      storage.data.set('p:b', bad);
      expect(store.load('b')).toBeUndefined();
    }
  });
});
