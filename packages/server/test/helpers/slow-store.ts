import type { SessionEvent } from '@agent-gateway/schema';
import {
  MemorySessionLog,
  resolveRetention,
  type LogEntry,
  type LogHead,
  type LogStats,
  type RetentionOptions,
  type SessionLog,
  type SessionLogStore,
} from '../../src/log/index.js';

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A log whose every call takes real time, as a networked store would: exposes races a synchronous log hides. */
class SlowLog implements SessionLog {
  constructor(
    private readonly inner: MemorySessionLog,
    private readonly ms: number,
  ) {}
  get sessionId() {
    return this.inner.sessionId;
  }
  async append(events: readonly SessionEvent[]): Promise<LogEntry[]> {
    await pause(this.ms);
    return this.inner.append(events);
  }
  async head(): Promise<LogHead> {
    await pause(this.ms);
    return this.inner.head();
  }
  async read(after: number, upTo: number): Promise<LogEntry[]> {
    await pause(this.ms);
    return this.inner.read(after, upTo);
  }
  async durable(): Promise<LogEntry[]> {
    await pause(this.ms);
    return this.inner.durable();
  }
  async trim(oldestCursor: number): Promise<LogHead> {
    await pause(this.ms);
    return this.inner.trim(oldestCursor);
  }
  stats(): Promise<LogStats> {
    return this.inner.stats();
  }
}

/** A store whose logs answer slowly; like the in-memory store, it keeps each session's log until released. */
export function slowStore(ms: number, retention?: RetentionOptions): SessionLogStore {
  const resolved = resolveRetention(retention);
  const logs = new Map<string, SlowLog>();
  return {
    open: async (sessionId) => logs.get(sessionId) ?? (logs.set(sessionId, new SlowLog(new MemorySessionLog(sessionId, resolved), ms)), logs.get(sessionId)!),
    recreate: async (sessionId) => (logs.set(sessionId, new SlowLog(new MemorySessionLog(sessionId, resolved), ms)), logs.get(sessionId)!),
    release: async (sessionId) => void logs.delete(sessionId),
  };
}
