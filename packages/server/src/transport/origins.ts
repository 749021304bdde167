import type { IncomingHttpHeaders } from 'node:http';

/** What an origin check reads of a request. */
export interface RequestHeaders {
  headers: IncomingHttpHeaders;
}

/**
 * Which browser origins may talk to the gateway (R6.4). A browser sends `Origin` with cross-origin
 * requests and WebSocket handshakes; a page on another site must neither read HTTP answers nor open
 * a connection with the user's network position (a gateway on 127.0.0.1 without a token is exactly
 * what such a page would look for). Clients that are not browsers send no `Origin` and are not
 * concerned: they authenticate with tokens.
 *
 * - default (no list): same origin only — the page the gateway itself serves (`--static`);
 * - a list of origins (`https://app.example.com`): those, and the same origin;
 * - `'*'`: any origin, only when asked for explicitly.
 */
export type OriginPolicy = readonly string[] | '*';

export function normalizeOrigin(origin: string): string | undefined {
  try {
    const url = new URL(origin);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
    return url.origin;
  } catch {
    return undefined;
  }
}

/** Check an allowlist at startup: each entry must be a plain http(s) origin. */
export function resolveOriginPolicy(policy: OriginPolicy | undefined): OriginPolicy {
  if (policy === undefined) return [];
  if (policy === '*') return '*';
  return policy.map((entry) => {
    const origin = normalizeOrigin(entry);
    if (!origin || origin !== entry.replace(/\/$/, '')) {
      throw new RangeError(`corsOrigins entry ${JSON.stringify(entry)} is not an origin like https://app.example.com (scheme, host, optional port; no path)`);
    }
    return origin;
  });
}

/** The request comes from a page of the gateway itself: its Origin names the host it was sent to. */
function isSameOrigin(origin: string, req: RequestHeaders): boolean {
  const host = req.headers.host;
  if (!host) return false;
  try {
    return new URL(origin).host === host.toLowerCase();
  } catch {
    return false;
  }
}

/** May a request carrying this `Origin` header (undefined: none) be served? */
export function isOriginAllowed(policy: OriginPolicy, origin: string | undefined, req: RequestHeaders): boolean {
  if (origin === undefined) return true;
  if (policy === '*') return true;
  const normalized = normalizeOrigin(origin);
  if (!normalized) return false;
  return isSameOrigin(normalized, req) || policy.includes(normalized);
}
