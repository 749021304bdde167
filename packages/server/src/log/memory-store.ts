import { isDurableEvent, isTerminalToolPhase, type SessionEvent } from '@agent-gateway/schema';
import { newEpoch } from './epoch.js';
import type { ResolvedRetention } from './retention.js';
import type { LogEntry, LogHead, LogStats, SessionLog, SessionLogStore } from './session-log.js';
import { SlotHeap } from './slot-heap.js';

interface Slot {
  seq: number;
  event: SessionEvent;
  bytes: number;
  durable: boolean;
  /** Set once the slot was compacted or evicted: it no longer counts and is never read. */
  gone: boolean;
}

/** Non-durable slots of one stream (chunks of a stream, updates of a tool call) in seq order. */
interface OpenStream {
  slots: Slot[];
  next: number;
}

/** JSON size of an event: what retention budgets count. */
export function eventBytes(event: SessionEvent): number {
  return Buffer.byteLength(JSON.stringify(event), 'utf8');
}

function streamKeyOf(event: SessionEvent): string | undefined {
  if (event.type === 'stream.chunk') return `s\u0000${event.runId}\u0000${event.streamId}`;
  if (event.type === 'tool') return `t\u0000${event.runId}\u0000${event.toolCallId}`;
  return undefined;
}

function runIdOf(event: SessionEvent): string | undefined {
  return 'runId' in event && typeof event.runId === 'string' ? event.runId : undefined;
}

/**
 * In-memory session log with two-tier retention:
 * - non-durable events (chunks, tool updates, skipped heartbeats) have their own budget; past it the
 *   oldest of finished streams are compacted first, then the oldest of running streams. Compaction
 *   leaves holes inside the replay window, which replays announce as `compacted`.
 * - past the overall bounds the oldest events are evicted and oldestCursor moves past them.
 * So a chunk flood can only ever compact chunks: it never pushes durable events out.
 */
export class MemorySessionLog implements SessionLog {
  readonly epoch = newEpoch();
  private slots: Slot[] = [];
  /** Index in `slots` of the first slot that may still be retained. */
  private first = 0;
  private goneInArray = 0;
  private cursor = 0;
  private oldestCursor = 1;
  private retainedEvents = 0;
  private retainedBytes = 0;
  private nonDurableEvents = 0;
  private nonDurableBytes = 0;
  private compactedEvents = 0;
  private evictedEvents = 0;
  private readonly openStreams = new Map<string, OpenStream>();
  private readonly openStreamsByRun = new Map<string, Set<string>>();
  /** Non-durable slots not tied to a stream (skipped heartbeats) and those of finished streams. */
  private readonly finished = new SlotHeap<Slot>();

  constructor(
    readonly sessionId: string,
    private readonly retention: ResolvedRetention,
  ) {}

  async append(events: readonly SessionEvent[]): Promise<LogEntry[]> {
    const appended: LogEntry[] = [];
    for (const event of events) {
      const slot: Slot = { seq: ++this.cursor, event, bytes: eventBytes(event), durable: isDurableEvent(event), gone: false };
      this.slots.push(slot);
      this.retainedEvents += 1;
      this.retainedBytes += slot.bytes;
      if (!slot.durable) this.trackNonDurable(slot);
      this.closeStreamsFinishedBy(event);
      appended.push({ seq: slot.seq, event });
    }
    this.enforceBounds();
    return appended;
  }

  async head(): Promise<LogHead> {
    return { epoch: this.epoch, cursor: this.cursor, oldestCursor: this.oldestCursor };
  }

  async read(afterSeq: number, upToSeq: number): Promise<LogEntry[]> {
    const from = Math.max(afterSeq + 1, this.oldestCursor);
    const to = Math.min(upToSeq, this.cursor);
    const out: LogEntry[] = [];
    if (from > to) return out;
    for (let i = this.indexOfFirstAtLeast(from); i < this.slots.length; i++) {
      const slot = this.slots[i]!;
      if (slot.seq > to) break;
      if (!slot.gone) out.push({ seq: slot.seq, event: slot.event });
    }
    return out;
  }

  async durable(): Promise<LogEntry[]> {
    const out: LogEntry[] = [];
    for (let i = this.first; i < this.slots.length; i++) {
      const slot = this.slots[i]!;
      if (!slot.gone && slot.durable) out.push({ seq: slot.seq, event: slot.event });
    }
    return out;
  }

  async trim(oldestCursor: number): Promise<LogHead> {
    const target = Math.min(Math.max(oldestCursor, this.oldestCursor), this.cursor + 1);
    while (this.first < this.slots.length && this.slots[this.first]!.seq < target) {
      const slot = this.slots[this.first]!;
      if (!slot.gone) this.drop(slot, 'evicted');
      this.first += 1;
    }
    this.oldestCursor = target;
    this.maybeRebuild();
    return this.head();
  }

  async stats(): Promise<LogStats> {
    return {
      retainedEvents: this.retainedEvents,
      retainedBytes: this.retainedBytes,
      nonDurableEvents: this.nonDurableEvents,
      nonDurableBytes: this.nonDurableBytes,
      compactedEvents: this.compactedEvents,
      evictedEvents: this.evictedEvents,
    };
  }

  private trackNonDurable(slot: Slot): void {
    this.nonDurableEvents += 1;
    this.nonDurableBytes += slot.bytes;
    const key = streamKeyOf(slot.event);
    const runId = runIdOf(slot.event);
    if (key === undefined || runId === undefined) {
      this.finished.push(slot);
      return;
    }
    let stream = this.openStreams.get(key);
    if (!stream) {
      stream = { slots: [], next: 0 };
      this.openStreams.set(key, stream);
      let keys = this.openStreamsByRun.get(runId);
      if (!keys) this.openStreamsByRun.set(runId, (keys = new Set()));
      keys.add(key);
    }
    stream.slots.push(slot);
  }

  /** stream.end closes its stream, a terminal tool phase its call, run.end everything of the run. */
  private closeStreamsFinishedBy(event: SessionEvent): void {
    if (event.type === 'stream.end') this.closeStream(`s\u0000${event.runId}\u0000${event.streamId}`, event.runId);
    else if (event.type === 'tool' && isTerminalToolPhase(event.phase)) this.closeStream(`t\u0000${event.runId}\u0000${event.toolCallId}`, event.runId);
    else if (event.type === 'run.end') {
      for (const key of [...(this.openStreamsByRun.get(event.runId) ?? [])]) this.closeStream(key, event.runId);
    }
  }

  private closeStream(key: string, runId: string): void {
    const stream = this.openStreams.get(key);
    if (!stream) return;
    this.openStreams.delete(key);
    const keys = this.openStreamsByRun.get(runId);
    keys?.delete(key);
    if (keys && keys.size === 0) this.openStreamsByRun.delete(runId);
    for (let i = stream.next; i < stream.slots.length; i++) {
      const slot = stream.slots[i]!;
      if (!slot.gone) this.finished.push(slot);
    }
  }

  private enforceBounds(): void {
    const r = this.retention;
    while (this.nonDurableEvents > r.maxNonDurableEvents || this.nonDurableBytes > r.maxNonDurableBytes) {
      const victim = this.nextCompactionVictim();
      if (!victim) break;
      this.drop(victim, 'compacted');
    }
    while ((this.retainedEvents > r.maxEvents || this.retainedBytes > r.maxBytes) && this.first < this.slots.length) {
      const slot = this.slots[this.first]!;
      if (!slot.gone) this.drop(slot, 'evicted');
      this.first += 1;
      this.oldestCursor = slot.seq + 1;
    }
    this.maybeRebuild();
  }

  private nextCompactionVictim(): Slot | undefined {
    while (this.finished.size > 0) {
      const slot = this.finished.pop()!;
      if (!slot.gone) return slot;
    }
    // Nothing finished left: compact the oldest chunk of a stream that is still running.
    let oldest: { stream: OpenStream; slot: Slot } | undefined;
    for (const stream of this.openStreams.values()) {
      while (stream.next < stream.slots.length && stream.slots[stream.next]!.gone) stream.next += 1;
      const slot = stream.slots[stream.next];
      if (slot && (!oldest || slot.seq < oldest.slot.seq)) oldest = { stream, slot };
    }
    if (!oldest) return undefined;
    oldest.stream.next += 1;
    return oldest.slot;
  }

  private drop(slot: Slot, why: 'compacted' | 'evicted'): void {
    slot.gone = true;
    this.goneInArray += 1;
    this.retainedEvents -= 1;
    this.retainedBytes -= slot.bytes;
    if (!slot.durable) {
      this.nonDurableEvents -= 1;
      this.nonDurableBytes -= slot.bytes;
    }
    if (why === 'compacted') this.compactedEvents += 1;
    else this.evictedEvents += 1;
  }

  /** Drop gone slots from the array once they are the majority, keeping memory proportional. */
  private maybeRebuild(): void {
    if (this.goneInArray < 1024 || this.goneInArray * 2 < this.slots.length) return;
    this.slots = this.slots.slice(this.first).filter((slot) => !slot.gone);
    this.first = 0;
    this.goneInArray = 0;
    for (const [key, stream] of this.openStreams) {
      const live = stream.slots.slice(stream.next).filter((slot) => !slot.gone);
      this.openStreams.set(key, { slots: live, next: 0 });
    }
  }

  private indexOfFirstAtLeast(seq: number): number {
    let lo = this.first;
    let hi = this.slots.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.slots[mid]!.seq < seq) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** The default store: every log lives in this process and dies with it. */
export class MemorySessionLogStore implements SessionLogStore {
  private readonly logs = new Map<string, MemorySessionLog>();

  constructor(private readonly retention: ResolvedRetention) {}

  async open(sessionId: string): Promise<SessionLog> {
    const existing = this.logs.get(sessionId);
    if (existing) return existing;
    const log = new MemorySessionLog(sessionId, this.retention);
    this.logs.set(sessionId, log);
    return log;
  }

  async recreate(sessionId: string): Promise<SessionLog> {
    const log = new MemorySessionLog(sessionId, this.retention);
    this.logs.set(sessionId, log);
    return log;
  }

  async release(sessionId: string): Promise<void> {
    this.logs.delete(sessionId);
  }

  async close(): Promise<void> {
    this.logs.clear();
  }
}
