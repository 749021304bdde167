import { createReadStream, promises as fs } from 'node:fs';
import type http from 'node:http';
import path from 'node:path';

export type RouteHandler = (req: http.IncomingMessage, res: http.ServerResponse) => void | Promise<void>;

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.htm': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.txt': 'text/plain; charset=utf-8',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
};

export function contentTypeOf(file: string): string {
  return CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}

/**
 * The gateway's plain HTTP side: exact-path routes (`/healthz`, `/metrics` ...) first, then static
 * files from one folder, then 404. Socket.IO answers its own path before this router sees anything.
 */
export class HttpRouter {
  private readonly routes = new Map<string, RouteHandler>();
  private staticRoot: string | undefined;

  /** Register a handler for an exact method and path, e.g. route('GET', '/metrics', handler). */
  route(method: string, pathname: string, handler: RouteHandler): void {
    this.routes.set(`${method.toUpperCase()} ${pathname}`, handler);
  }

  /** Serve files below `dir`; a folder that does not exist just serves nothing. */
  async serveStatic(dir: string): Promise<boolean> {
    try {
      const root = await fs.realpath(path.resolve(dir));
      if (!(await fs.stat(root)).isDirectory()) return false;
      this.staticRoot = root;
      return true;
    } catch {
      return false;
    }
  }

  readonly handle = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    void this.dispatch(req, res).catch(() => {
      if (!res.headersSent) send(res, 500, 'internal error\n');
      else res.destroy();
    });
  };

  private async dispatch(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    let pathname: string;
    try {
      pathname = new URL(req.url ?? '/', 'http://gateway.invalid').pathname;
    } catch {
      return send(res, 400, 'bad request\n');
    }
    const handler = this.routes.get(`${(req.method ?? 'GET').toUpperCase()} ${pathname}`);
    if (handler) return void (await handler(req, res));
    if (this.staticRoot && (req.method === 'GET' || req.method === 'HEAD')) {
      const file = await this.resolveStatic(pathname);
      if (file) return sendFile(req, res, file);
    }
    send(res, 404, 'not found\n');
  }

  /** Map a URL path to a file strictly inside the static root, or undefined. */
  private async resolveStatic(pathname: string): Promise<string | undefined> {
    const root = this.staticRoot!;
    let decoded: string;
    try {
      decoded = decodeURIComponent(pathname);
    } catch {
      return undefined;
    }
    if (decoded.includes('\0')) return undefined;
    let candidate = path.resolve(root, `.${path.posix.normalize(`/${decoded}`)}`);
    if (!isInside(root, candidate)) return undefined;
    try {
      let stat = await fs.stat(candidate);
      if (stat.isDirectory()) {
        candidate = path.join(candidate, 'index.html');
        stat = await fs.stat(candidate);
      }
      if (!stat.isFile()) return undefined;
      // Symlinks may point anywhere: check where the file really is.
      const real = await fs.realpath(candidate);
      return isInside(root, real) ? real : undefined;
    } catch {
      return undefined;
    }
  }
}

function isInside(root: string, candidate: string): boolean {
  const relative = path.relative(root, candidate);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

function send(res: http.ServerResponse, status: number, body: string, type = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), 'x-content-type-options': 'nosniff' });
  res.end(body);
}

async function sendFile(req: http.IncomingMessage, res: http.ServerResponse, file: string): Promise<void> {
  const stat = await fs.stat(file);
  res.writeHead(200, {
    'content-type': contentTypeOf(file),
    'content-length': stat.size,
    'cache-control': 'no-cache',
    'x-content-type-options': 'nosniff',
  });
  if (req.method === 'HEAD') return void res.end();
  await new Promise<void>((resolve, reject) => {
    const stream = createReadStream(file);
    stream.on('error', reject);
    res.on('close', resolve);
    stream.pipe(res);
  });
}

/** What /healthz reports beyond "the process answers": a dependency that is down, and why. */
export type HealthCheck = () => { ok: boolean; reason?: string };

/**
 * `{"status":"ok"}` with 200; 503 `{"status":"draining"}` while the gateway shuts down, so balancers
 * stop sending clients; 503 `{"status":"degraded","reasons":[...]}` while a check fails.
 */
export function healthzHandler(isDraining: () => boolean = () => false, check?: HealthCheck): RouteHandler {
  return (_req, res) => {
    if (isDraining()) return send(res, 503, JSON.stringify({ status: 'draining' }), 'application/json; charset=utf-8');
    const health = check?.() ?? { ok: true };
    if (health.ok) return send(res, 200, JSON.stringify({ status: 'ok' }), 'application/json; charset=utf-8');
    send(res, 503, JSON.stringify({ status: 'degraded', reasons: [health.reason ?? 'unknown'] }), 'application/json; charset=utf-8');
  };
}
