/**
 * Protocol versions are "MAJOR.MINOR".
 * - A MINOR bump only adds: new optional fields, new messages, new enum members a client may ignore.
 * - Anything else (removing a message or field, renaming, making a field required, narrowing a type)
 *   is a MAJOR bump. The compatibility test in this package enforces it against the released baseline.
 * A gateway serves every minor of its major; a client that asks for another major is refused with
 * UNSUPPORTED_PROTOCOL_VERSION naming the supported range.
 */
export const PROTOCOL_VERSION = '1.0' as const;
export const PROTOCOL_MAJOR = 1;
export const PROTOCOL_MINOR = 0;

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
