import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createGateway } from '../src/index.js';
import { createHarness } from './helpers/wire.js';

const h = createHarness();
afterEach(() => h.closeAll());

let root: string;
let site: string;
beforeAll(() => {
  root = mkdtempSync(path.join(tmpdir(), 'gw-static-'));
  site = path.join(root, 'public');
  mkdirSync(path.join(site, 'vendor'), { recursive: true });
  writeFileSync(path.join(site, 'index.html'), '<!doctype html><title>chat</title>');
  writeFileSync(path.join(site, 'vendor', 'app.js'), 'export {};');
  writeFileSync(path.join(site, 'style.css'), 'body{}');
  writeFileSync(path.join(root, 'secret.txt'), 'do not serve');
  symlinkSync(path.join(root, 'secret.txt'), path.join(site, 'link.txt'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Raw GET so the path reaches the server exactly as written (fetch would normalise ../). */
function get(url: string, rawPath: string): Promise<{ status: number; type: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    const { hostname, port } = new URL(url);
    const req = http.request({ hostname, port, path: rawPath, method: 'GET' }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'], body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('HTTP side', () => {
  it('answers /healthz and 404 elsewhere without a static folder', async () => {
    const gw = await h.start();
    expect(await get(gw.url, '/healthz')).toMatchObject({ status: 200, type: 'application/json; charset=utf-8' });
    expect((await get(gw.url, '/index.html')).status).toBe(404);
  });

  it('serves static files with content types and refuses traversal and escaping symlinks', async () => {
    const gw = await h.start({ staticDir: site });
    expect(await get(gw.url, '/')).toMatchObject({ status: 200, type: 'text/html; charset=utf-8', body: '<!doctype html><title>chat</title>' });
    expect(await get(gw.url, '/vendor/app.js')).toMatchObject({ status: 200, type: 'text/javascript; charset=utf-8' });
    expect(await get(gw.url, '/style.css')).toMatchObject({ status: 200, type: 'text/css; charset=utf-8' });
    for (const bad of ['/../secret.txt', '/%2e%2e/secret.txt', '/vendor/..%2f..%2fsecret.txt', '/link.txt', '/%00', '/%zz']) {
      const res = await get(gw.url, bad);
      expect(res.status, bad).not.toBe(200);
      expect(res.body).not.toContain('do not serve');
    }
  });

  it('starts without serving anything when the static folder does not exist', async () => {
    const gw = await h.start({ staticDir: path.join(root, 'missing') });
    expect((await get(gw.url, '/')).status).toBe(404);
  });

  it('makes adding a route easy', async () => {
    const gw = await h.start();
    gw.http.route('GET', '/metrics', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('up 1\n');
    });
    expect(await get(gw.url, '/metrics')).toMatchObject({ status: 200, body: 'up 1\n' });
  });

  it('attaches to an existing HTTP server and leaves it running on close', async () => {
    const server = http.createServer((_req, res) => res.end('app'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const gw = await createGateway({ httpServer: server, logger: false });
    const c = await h.client(gw.url);
    expect((await c.request('join', { sessionId: 'embedded' })).ok).toBe(true);
    c.close();
    await gw.close();
    expect(server.listening).toBe(true);
    expect((await get(gw.url, '/')).body).toBe('app');
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
});
