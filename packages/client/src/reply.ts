import type { RunEndEvent } from '@agent-gateway/schema';

/** One piece of a run's reply as an app consumes it: text in order, then exactly one end. */
export type ReplyPart = { type: 'chunk'; text: string } | { type: 'end'; status: RunEndEvent['status']; text: string; error?: RunEndEvent['error'] };

interface StreamProgress {
  /** Length of the run text when this stream's chunk 0 was appended; null when it began before what we know. */
  startOffset: number | null;
  /** Index of the next chunk that continues the text; null when not known yet (stream began before a snapshot). */
  nextIndex: number | null;
  /** A chunk was missing (compacted or withheld): wait for the stream's end to catch up. */
  holey: boolean;
}

/**
 * The text of one run's reply, assembled exactly once from whatever the log gives us: live chunks,
 * replayed chunks (possibly with compacted holes), stream ends (full text of one stream), a
 * snapshot's active-run text, or the final response. Every source only ever extends the text the app
 * already has: a source that does not continue it is ignored rather than duplicating text.
 */
export class RunReply {
  readonly sessionId: string;
  readonly runId: string;
  /** Text handed to the app so far. */
  text = '';
  ended: (ReplyPart & { type: 'end' }) | undefined;
  /** True when we know the run from before its first chunk (no text is missing at the start). */
  private knownFromStart: boolean;
  private readonly streams = new Map<string, StreamProgress>();
  private readonly parts: ReplyPart[] = [];
  private readonly waiters: Array<() => void> = [];
  private finalText: string | undefined;
  private failure: Error | undefined;

  constructor(sessionId: string, runId: string, knownFromStart: boolean) {
    this.sessionId = sessionId;
    this.runId = runId;
    this.knownFromStart = knownFromStart;
  }

  /** Extend the text to `full` when `full` continues what the app has; returns whether text was added. */
  private extendTo(full: string): boolean {
    if (this.ended || full.length <= this.text.length || !full.startsWith(this.text)) return false;
    this.push({ type: 'chunk', text: full.slice(this.text.length) });
    this.text = full;
    return true;
  }

  private push(part: ReplyPart): void {
    this.parts.push(part);
    for (const wake of this.waiters.splice(0)) wake();
  }

  chunk(streamId: string, index: number, text: string): void {
    if (this.ended) return;
    let stream = this.streams.get(streamId);
    if (!stream) {
      if (index === 0) stream = { startOffset: this.text.length, nextIndex: 0, holey: false };
      else if (this.knownFromStart) stream = { startOffset: this.text.length, nextIndex: 0, holey: true };
      else stream = { startOffset: null, nextIndex: index, holey: false };
      this.streams.set(streamId, stream);
    }
    if (stream.holey || stream.nextIndex === null) return;
    if (index < stream.nextIndex) return;
    if (index > stream.nextIndex) {
      stream.holey = true;
      return;
    }
    stream.nextIndex = index + 1;
    this.extendTo(this.text + text);
  }

  streamEnd(streamId: string, fullStreamText: string): void {
    const stream = this.streams.get(streamId);
    if (stream && stream.startOffset !== null) {
      this.extendTo(this.text.slice(0, stream.startOffset) + fullStreamText);
    } else if (!stream && this.knownFromStart) {
      // Every chunk of the stream was compacted away: the end is the whole stream.
      this.extendTo(this.text + fullStreamText);
    }
    this.streams.delete(streamId);
  }

  /** The snapshot's streamed text of this (still active) run: everything up to eventCursor. */
  snapshotText(activeRunText: string): void {
    this.extendTo(activeRunText);
    // Streams in progress at the snapshot are unknown from here on; live chunks after it simply append.
    this.streams.clear();
    this.knownFromStart = false;
  }

  /** The run's final response: the authoritative whole reply. */
  response(text: string): void {
    this.finalText = text;
    this.extendTo(text);
  }

  end(status: RunEndEvent['status'], error?: RunEndEvent['error']): void {
    if (this.ended) return;
    const part: ReplyPart & { type: 'end' } = { type: 'end', status, text: this.finalText ?? this.text };
    if (error !== undefined) part.error = error;
    this.ended = part;
    this.push(part);
  }

  /** Why the reply stopped before its end (the client closed, the gateway restarted …), if it did. */
  get failed(): Error | undefined {
    return this.failure;
  }

  /** Stop readers that wait for more: the run's end cannot reach this reply any more. */
  fail(error: Error): void {
    if (this.ended || this.failure) return;
    this.failure = error;
    for (const wake of this.waiters.splice(0)) wake();
  }

  /** Async iterator over the reply: every chunk once, in order, then the end. Several readers may iterate. */
  async *[Symbol.asyncIterator](): AsyncGenerator<ReplyPart, void, undefined> {
    let next = 0;
    for (;;) {
      while (next < this.parts.length) {
        const part = this.parts[next++] as ReplyPart;
        yield part;
        if (part.type === 'end') return;
      }
      if (this.failure) throw this.failure;
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  /** Wait for the end of the run and return the final part. */
  async finished(): Promise<ReplyPart & { type: 'end' }> {
    for await (const part of this) if (part.type === 'end') return part;
    throw new Error('unreachable: a reply always ends with an end part');
  }
}
