import { writeSync } from 'node:fs';
import type { DestinationStream } from 'pino';

/*
 * The gateway's own output. stdout carries the URL line and stderr the logs; neither is why the
 * gateway runs. When the reader of either goes away (`agent-gateway serve | head -c 10`, a log
 * shipper restarting), writes fail with EPIPE — which Node turns into a crash when the stream has no
 * error listener — and a logger that buffers what it could not write grows without bound. Here a
 * closed output is simply no longer written to, and the gateway keeps serving its clients.
 */

/** Errors meaning the reader is gone for good. */
const CLOSED_CODES = new Set(['EPIPE', 'EBADF', 'ECONNRESET', 'EINVAL', 'ERR_STREAM_DESTROYED']);

/** Write to stdout (or stderr); once the reader has gone, further lines are dropped. */
export function lineWriter(stream: NodeJS.WriteStream): (line: string) => void {
  let closed = false;
  stream.on('error', () => {
    closed = true;
  });
  return (line) => {
    if (closed || stream.destroyed) return;
    stream.write(line);
  };
}

/**
 * A pino destination on file descriptor 2 that writes each line synchronously and keeps nothing:
 * a line the pipe cannot take right now (EAGAIN) is dropped, and after EPIPE nothing more is tried.
 */
export function stderrLogDestination(fd = 2): DestinationStream & { readonly closed: boolean; readonly dropped: number } {
  let closed = false;
  let dropped = 0;
  return {
    get closed() {
      return closed;
    },
    get dropped() {
      return dropped;
    },
    write(line: string) {
      if (closed) return;
      try {
        const bytes = Buffer.from(line, 'utf8');
        for (let offset = 0; offset < bytes.length;) offset += writeSync(fd, bytes, offset);
      } catch (error) {
        dropped += 1;
        if (CLOSED_CODES.has((error as NodeJS.ErrnoException).code ?? '')) closed = true;
      }
    },
  };
}

/** Keep a stream from crashing the process with an unhandled 'error' once its reader is gone. */
export function ignoreClosedReader(stream: NodeJS.WriteStream): void {
  stream.on('error', () => undefined);
}
