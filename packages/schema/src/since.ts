/*
 * Protocol minor versions inside a schema. A property, union member or error code added after
 * MAJOR.0 carries the annotation `x-since: "MAJOR.MINOR"`; an error code also names the older code
 * a peer of an earlier minor gets instead (`x-fallback`). A gateway serving a peer that negotiated
 * an earlier minor leaves out what that minor does not know (see downgrade.ts), so every message the
 * peer receives validates against the schema of the minor it speaks.
 */

/** JSON Schema annotation keyword: the protocol version that introduced this part of a message. */
export const SINCE_KEYWORD = 'x-since';
/** JSON Schema annotation keyword on an enum value: the value an earlier minor gets instead. */
export const FALLBACK_KEYWORD = 'x-fallback';

/** Schema options marking a part of a message as introduced in `version` ("MAJOR.MINOR"). */
export function since(version: `${number}.${number}`): { [SINCE_KEYWORD]: string } {
  return { [SINCE_KEYWORD]: version };
}
