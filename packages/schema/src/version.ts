/**
 * Protocol versions are "MAJOR.MINOR".
 * - A MINOR bump only adds: new optional fields, new messages, new error codes. Each addition is
 *   marked in the schema with the version that introduced it (`x-since`); a new error code also names
 *   the older code an earlier minor gets instead (`x-fallback`).
 * - Anything else (removing a message or field, renaming, making a field required, narrowing a type)
 *   is a MAJOR bump. The compatibility test in this package enforces it against the released baseline.
 * A gateway serves every minor of its major and negotiates the highest minor both sides know: a peer
 * asking for an older minor is served that minor — it receives only what that minor defines (later
 * fields left out, later error codes replaced by their fallback) — and a peer asking for a newer minor
 * than the gateway's own is served the gateway's, never refused. `hello.protocolVersion` and
 * `joined.protocolVersion` say which minor was chosen. A peer asking for another major is refused with
 * UNSUPPORTED_PROTOCOL_VERSION naming the supported range.
 */
export const PROTOCOL_VERSION = '1.1' as const;
export const PROTOCOL_MAJOR = 1;
export const PROTOCOL_MINOR = 1;

export interface ParsedVersion {
  major: number;
  minor: number;
}

export function parseProtocolVersion(version: string): ParsedVersion | undefined {
  const match = /^(\d{1,6})\.(\d{1,6})$/.exec(version);
  if (!match) return undefined;
  return { major: Number(match[1]), minor: Number(match[2]) };
}

/** True when a peer speaking `version` can talk to this protocol implementation. */
export function isSupportedProtocolVersion(version: string): boolean {
  const parsed = parseProtocolVersion(version);
  return parsed !== undefined && parsed.major === PROTOCOL_MAJOR;
}

export const SUPPORTED_VERSIONS = { min: `${PROTOCOL_MAJOR}.0`, max: `${PROTOCOL_MAJOR}.${PROTOCOL_MINOR}` } as const;

/**
 * The version a gateway serves a peer asking for `requested`: the highest minor both know, or
 * undefined when the major is not served.
 */
export function negotiateProtocolVersion(requested: string): string | undefined {
  const parsed = parseProtocolVersion(requested);
  if (!parsed || parsed.major !== PROTOCOL_MAJOR) return undefined;
  return parsed.minor >= PROTOCOL_MINOR ? PROTOCOL_VERSION : `${PROTOCOL_MAJOR}.${parsed.minor}`;
}
