import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { Gateway } from '../src/index.js';
import { createHarness } from './helpers/wire.js';

/*
 * Browser origins (R6.4): a page of another site must not use the gateway with the visitor's
 * network position — not over polling, not through a preflight, not with a WebSocket. Clients that
 * send no Origin (anything but a browser) are not concerned.
 */
const h = createHarness();
afterEach(() => h.closeAll());

const FOREIGN = 'http://evil.example';
const handshakePath = '/socket.io/?EIO=4&transport=polling';

async function polling(gw: Gateway, origin: string | undefined) {
  const response = await fetch(`${gw.url}${handshakePath}`, { headers: origin ? { origin } : {} });
  return { status: response.status, allowOrigin: response.headers.get('access-control-allow-origin'), body: await response.text() };
}

async function preflight(gw: Gateway, origin: string) {
  const response = await fetch(`${gw.url}${handshakePath}`, {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
  });
  return { status: response.status, allowOrigin: response.headers.get('access-control-allow-origin') };
}

function websocket(gw: Gateway, origin: string | undefined): Promise<'open' | number> {
  const url = `${gw.url.replace('http', 'ws')}/socket.io/?EIO=4&transport=websocket`;
  const ws = new WebSocket(url, origin ? { origin } : {});
  return new Promise((resolve, reject) => {
    ws.once('open', () => {
      ws.close();
      resolve('open');
    });
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.once('error', reject);
  });
}

describe('origins (R6.4)', () => {
  it('by default: same origin and origin-less clients only; a foreign page gets no grant and no handshake', async () => {
    const gw = await h.start();
    const own = gw.url;
    expect(await polling(gw, undefined)).toMatchObject({ status: 200 });
    expect(await polling(gw, own)).toMatchObject({ status: 200, allowOrigin: own });
    const foreign = await polling(gw, FOREIGN);
    expect(foreign.status).toBe(403);
    expect(foreign.allowOrigin).toBeNull();
    expect(foreign.body).not.toContain('sid');
    expect(await preflight(gw, FOREIGN)).toMatchObject({ allowOrigin: null });
    expect(await preflight(gw, own)).toMatchObject({ allowOrigin: own });
    // engine.io answers every refused upgrade with 400 Bad Request.
    expect(await websocket(gw, FOREIGN)).toBe(400);
    expect(await websocket(gw, own)).toBe('open');
    expect(await websocket(gw, undefined)).toBe('open');
    // Origins that are no origin at all (sandboxed frames, files) are foreign too.
    expect((await polling(gw, 'null')).status).toBe(403);
  });

  it('an allowlist adds origins; everything else stays refused', async () => {
    const gw = await h.start({ corsOrigins: ['https://app.example.com'] });
    expect(await polling(gw, 'https://app.example.com')).toMatchObject({ status: 200, allowOrigin: 'https://app.example.com' });
    expect(await preflight(gw, 'https://app.example.com')).toMatchObject({ allowOrigin: 'https://app.example.com' });
    expect(await websocket(gw, 'https://app.example.com')).toBe('open');
    expect((await polling(gw, 'https://app.example.com.evil.example')).status).toBe(403);
    expect((await polling(gw, 'http://app.example.com')).status).toBe(403);
    expect(await websocket(gw, FOREIGN)).toBe(400);
  });

  it("'*' allows any origin, only when asked for", async () => {
    const gw = await h.start({ corsOrigins: '*' });
    expect(await polling(gw, FOREIGN)).toMatchObject({ status: 200, allowOrigin: FOREIGN });
    expect(await websocket(gw, FOREIGN)).toBe('open');
  });

  it('refuses an allowlist entry that is not an origin', async () => {
    await expect(h.start({ corsOrigins: ['https://app.example.com/path'] })).rejects.toThrow(/not an origin/);
    await expect(h.start({ corsOrigins: ['app.example.com'] })).rejects.toThrow(/not an origin/);
  });
});

describe('/metrics access', () => {
  it('with a metrics token, only requests bearing it are answered', async () => {
    const gw = await h.start({ metricsToken: 'scrape-secret' });
    expect((await fetch(`${gw.url}/metrics`)).status).toBe(401);
    expect((await fetch(`${gw.url}/metrics`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    const ok = await fetch(`${gw.url}/metrics`, { headers: { authorization: 'Bearer scrape-secret' } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('agent_gateway_slow_consumers_cut_total');
  });

  it('metrics can be turned off', async () => {
    const gw = await h.start({ metrics: false });
    expect((await fetch(`${gw.url}/metrics`)).status).toBe(404);
    expect((await fetch(`${gw.url}/healthz`)).status).toBe(200);
  });
});
