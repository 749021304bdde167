/** Where a client keeps the last position it saw of each session, so a reload can resume by replay. */
export interface StoredCursor {
  epoch: string;
  seq: number;
}

export interface CursorStore {
  load(sessionId: string): StoredCursor | undefined | Promise<StoredCursor | undefined>;
  save(sessionId: string, cursor: StoredCursor): void | Promise<void>;
  clear?(sessionId: string): void | Promise<void>;
}

export function memoryCursorStore(): CursorStore {
  const cursors = new Map<string, StoredCursor>();
  return {
    load: (sessionId) => cursors.get(sessionId),
    save: (sessionId, cursor) => void cursors.set(sessionId, { ...cursor }),
    clear: (sessionId) => void cursors.delete(sessionId),
  };
}

/** The part of the Web Storage API the cursor store needs (localStorage, sessionStorage). */
export interface KeyValueStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/**
 * Cursor store on top of Web Storage. Stored values are checked on load: a corrupt or foreign
 * entry is ignored (the client then joins fresh and gets a snapshot) instead of being sent as `since`.
 */
export function webStorageCursorStore(storage: KeyValueStorage, prefix = 'agent-gateway:cursor:'): CursorStore {
  return {
    load(sessionId) {
      const raw = storage.getItem(prefix + sessionId);
      if (raw === null) return undefined;
      try {
        const parsed = JSON.parse(raw) as Partial<StoredCursor>;
        if (typeof parsed.epoch === 'string' && parsed.epoch.length > 0 && Number.isSafeInteger(parsed.seq) && (parsed.seq as number) >= 0) {
          return { epoch: parsed.epoch, seq: parsed.seq as number };
        }
      } catch {
        // fall through: unreadable entries are treated as absent
      }
      return undefined;
    },
    save(sessionId, cursor) {
      storage.setItem(prefix + sessionId, JSON.stringify({ epoch: cursor.epoch, seq: cursor.seq }));
    },
    clear(sessionId) {
      storage.removeItem(prefix + sessionId);
    },
  };
}
