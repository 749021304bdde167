import { createHash, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { AuthOptions, Principal } from './auth.js';

/**
 * Per-principal rules without code (R6.1, R6.4): a token file maps tokens to principals and to the
 * session ids each may join and list. Tokens are compared by their SHA-256, so the file may hold
 * either the token or only its digest, and a lookup never compares secrets byte by byte.
 *
 *   {
 *     "principals": [
 *       { "id": "alice", "token": "a-long-random-secret", "sessions": ["alice-*", "team:*"] },
 *       { "id": "ops", "tokenSha256": "<64 hex digits>", "sessions": ["*"], "deny": ["payroll-*"] }
 *     ]
 *   }
 *
 * Patterns are session ids where `*` stands for any run of characters. A principal may use a session
 * that matches one of its `sessions` patterns (default: every session) and none of its `deny`
 * patterns nor a reserved prefix of the gateway.
 */
export interface PrincipalRule {
  id: string;
  /** SHA-256 of the token, hex. */
  tokenSha256: string;
  sessions: string[];
  deny: string[];
}

export interface PrincipalRulesOptions {
  /** Session ids starting with one of these are refused to every principal (only the control surface reaches them). */
  reservedPrefixes?: readonly string[];
}

const MIN_TOKEN_LENGTH = 16;

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/**
 * Does `text` match a `*` pattern? The classic two-pointer wildcard walk: linear in practice and
 * never exponential, whatever the pattern (a regular expression with many `.*` could be).
 */
export function matchesPattern(pattern: string, text: string): boolean {
  let p = 0;
  let t = 0;
  let star = -1;
  let resume = 0;
  while (t < text.length) {
    if (p < pattern.length && pattern[p] !== '*' && pattern[p] === text[t]) {
      p += 1;
      t += 1;
    } else if (p < pattern.length && pattern[p] === '*') {
      star = p;
      resume = t;
      p += 1;
    } else if (star >= 0) {
      p = star + 1;
      resume += 1;
      t = resume;
    } else {
      return false;
    }
  }
  while (p < pattern.length && pattern[p] === '*') p += 1;
  return p === pattern.length;
}

class TokenFileError extends Error {
  constructor(source: string, where: string, problem: string) {
    super(`${source}: ${where}: ${problem}`);
    this.name = 'TokenFileError';
  }
}

function stringList(value: unknown, source: string, where: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.some((p) => typeof p !== 'string' || p.length === 0 || p.length > 256)) {
    throw new TokenFileError(source, where, 'must be a list of non-empty patterns (at most 256 characters each)');
  }
  return value as string[];
}

/** Parse and check a token file; every problem names where it is. */
export function parseTokenFile(text: string, source = 'token file'): PrincipalRule[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new TokenFileError(source, 'JSON', error instanceof Error ? error.message : String(error));
  }
  if (!data || typeof data !== 'object' || Array.isArray(data)) throw new TokenFileError(source, '/', 'must be an object with a "principals" list');
  const extra = Object.keys(data).filter((k) => k !== 'principals');
  if (extra.length > 0) throw new TokenFileError(source, '/', `unknown field ${JSON.stringify(extra[0])}`);
  const list = (data as { principals?: unknown }).principals;
  if (!Array.isArray(list) || list.length === 0) throw new TokenFileError(source, '/principals', 'must be a non-empty list');
  const seen = new Set<string>();
  return list.map((entry: unknown, index) => {
    const where = `/principals/${index}`;
    if (!entry || typeof entry !== 'object' || Array.isArray(entry)) throw new TokenFileError(source, where, 'must be an object');
    const e = entry as Record<string, unknown>;
    const unknown = Object.keys(e).filter((k) => !['id', 'token', 'tokenSha256', 'sessions', 'deny'].includes(k));
    if (unknown.length > 0) throw new TokenFileError(source, where, `unknown field ${JSON.stringify(unknown[0])}`);
    if (typeof e.id !== 'string' || e.id.length === 0 || e.id.length > 256) throw new TokenFileError(source, `${where}/id`, 'must be 1 to 256 characters');
    let digest: string;
    if (typeof e.token === 'string' && e.tokenSha256 === undefined) {
      if (e.token.length < MIN_TOKEN_LENGTH || e.token.length > 4096) {
        throw new TokenFileError(source, `${where}/token`, `must be ${MIN_TOKEN_LENGTH} to 4096 characters`);
      }
      digest = sha256Hex(e.token);
    } else if (typeof e.tokenSha256 === 'string' && e.token === undefined) {
      if (!/^[0-9a-f]{64}$/i.test(e.tokenSha256)) throw new TokenFileError(source, `${where}/tokenSha256`, 'must be 64 hex digits');
      digest = e.tokenSha256.toLowerCase();
    } else {
      throw new TokenFileError(source, where, 'needs exactly one of "token" or "tokenSha256"');
    }
    if (seen.has(digest)) throw new TokenFileError(source, where, 'repeats a token of an earlier principal');
    seen.add(digest);
    const sessions = e.sessions === undefined ? ['*'] : stringList(e.sessions, source, `${where}/sessions`);
    return { id: e.id, tokenSha256: digest, sessions, deny: stringList(e.deny, source, `${where}/deny`) };
  });
}

export async function loadTokenFile(path: string): Promise<PrincipalRule[]> {
  return parseTokenFile(await readFile(path, 'utf8'), path);
}

interface CompiledRule {
  id: string;
  digest: Buffer;
  allow: string[];
  deny: string[];
}

const RULES = Symbol('principal rules');

function isReserved(sessionId: string, reserved: readonly string[]): boolean {
  return reserved.some((prefix) => sessionId.startsWith(prefix));
}

/**
 * The auth hooks for a set of principal rules: `verifyToken` finds the principal by the token's
 * digest, `authorizeSession` applies its patterns and the reserved prefixes.
 */
export function principalRulesAuth(rules: readonly PrincipalRule[], options: PrincipalRulesOptions = {}): Required<AuthOptions> {
  const reserved = options.reservedPrefixes ?? [];
  const compiled: CompiledRule[] = rules.map((rule) => ({
    id: rule.id,
    digest: Buffer.from(rule.tokenSha256, 'hex'),
    allow: rule.sessions,
    deny: rule.deny,
  }));
  return {
    verifyToken(token) {
      if (typeof token !== 'string') return null;
      const digest = createHash('sha256').update(token, 'utf8').digest();
      // Every rule is compared, in constant time, so timing says nothing about which one matched.
      let found: CompiledRule | undefined;
      for (const rule of compiled) if (timingSafeEqual(rule.digest, digest)) found = rule;
      if (!found) return null;
      return { id: found.id, [RULES]: found } as Principal;
    },
    authorizeSession(principal, sessionId) {
      if (isReserved(sessionId, reserved)) return false;
      const rule = (principal as { [RULES]?: CompiledRule })[RULES];
      if (!rule) return false;
      return rule.allow.some((p) => matchesPattern(p, sessionId)) && !rule.deny.some((p) => matchesPattern(p, sessionId));
    },
  };
}

/** Session ids with a reserved prefix are refused to everyone; everything else is allowed. */
export function reservedPrefixAuth(reservedPrefixes: readonly string[]): Pick<AuthOptions, 'authorizeSession'> {
  return { authorizeSession: (_principal, sessionId) => !isReserved(sessionId, reservedPrefixes) };
}
