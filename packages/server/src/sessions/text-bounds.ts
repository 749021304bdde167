import { MAX_EVENT_TEXT_LENGTH } from '@agent-gateway/schema';

/**
 * The longest prefix of `text` within `limit` UTF-16 units that does not end between the two halves
 * of a surrogate pair. The schema counts code points, never more than UTF-16 units, so a prefix
 * within `limit` units is always within the bound.
 */
export function boundedPrefix(text: string, limit: number = MAX_EVENT_TEXT_LENGTH): string {
  if (text.length <= limit) return text;
  const end = isHighSurrogate(text.charCodeAt(limit - 1)) ? limit - 1 : limit;
  return text.slice(0, end);
}

/** `text` cut into pieces within `limit`, none splitting a surrogate pair; '' stays one empty piece. */
export function splitText(text: string, limit: number = MAX_EVENT_TEXT_LENGTH): string[] {
  if (text.length <= limit) return [text];
  const pieces: string[] = [];
  for (let rest = text; rest.length > 0;) {
    const piece = boundedPrefix(rest, limit);
    pieces.push(piece);
    rest = rest.slice(piece.length);
  }
  return pieces;
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}
