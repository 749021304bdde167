/*
 * The protocol's bounds as named constants. The schemas are built from these, and gateways and
 * clients use the same names instead of retyping the numbers. Plain data: importing it loads no
 * schema objects, so a browser client can use it.
 */

/** Largest cursor or seq a gateway may use: integers stay exact in every JSON implementation up to here. */
export const MAX_SEQ = Number.MAX_SAFE_INTEGER;

/** Session ids and run ids: 1 to this many characters. */
export const MAX_ID_LENGTH = 128;

/** Texts carried by session events and snapshots (messages, responses, stream ends), in characters. */
export const MAX_EVENT_TEXT_LENGTH = 1_048_576;

/** The text of one chat.send, in characters. */
export const MAX_CHAT_TEXT_LENGTH = 65_536;

/** A chat.send idempotency key, in characters. */
export const MAX_IDEMPOTENCY_KEY_LENGTH = 128;

/** Frames a gateway may put in one `replay`, `session.event` or `session.tool` emit. */
export const MAX_FRAMES_PER_BATCH = 512;

/** Messages a snapshot can carry. */
export const MAX_SNAPSHOT_MESSAGES = 100_000;

/** Retained durable events a snapshot can carry. */
export const MAX_SNAPSHOT_EVENTS = 100_000;

/** Tool calls of the active run a snapshot can carry. */
export const MAX_ACTIVE_RUN_TOOLS = 1000;

/** Validation issues one wire error reports at most. */
export const MAX_WIRE_ISSUES = 100;
