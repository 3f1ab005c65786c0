/**
 * A hostile registry for the tests: a node HTTP server on 127.0.0.1 whose routes a test defines,
 * for what a real registry will not do (wrong bytes for a digest, bodies that never end, huge
 * manifests, redirect loops, lying headers). It counts requests and bytes it sent.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type Route = (req: http.IncomingMessage, res: http.ServerResponse, url: URL) => void | Promise<void>;

export interface Stub {
  host: string;
  port: number;
  requests: { method: string; path: string; authorization?: string }[];
  bytesSent: number;
  route(method: string, path: string | RegExp, handler: Route): void;
  close(): Promise<void>;
}

export async function startStub(): Promise<Stub> {
  const routes: { method: string; path: string | RegExp; handler: Route }[] = [];
  const stub: Stub = {
    host: '',
    port: 0,
    requests: [],
    bytesSent: 0,
    route(method, path, handler) {
      routes.unshift({ method, path, handler });
    },
    close: async () => {},
  };
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://stub');
    stub.requests.push({
      method: req.method ?? '',
      path: url.pathname + url.search,
      authorization: req.headers.authorization,
    });
    const write = res.write.bind(res);
    res.write = ((chunk: Buffer | string, ...rest: unknown[]) => {
      stub.bytesSent += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
      return (write as (...a: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof res.write;
    const r = routes.find(
      (x) =>
        (x.method === req.method || x.method === '*') &&
        (typeof x.path === 'string' ? x.path === url.pathname : x.path.test(url.pathname)),
    );
    if (!r) {
      if (url.pathname === '/v2/' || url.pathname === '/v2') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{}');
        return;
      }
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ errors: [{ code: 'NOT_FOUND', message: 'no route in the stub' }] }));
      return;
    }
    Promise.resolve(r.handler(req, res, url)).catch(() => res.destroy());
  });
  const sockets = new Set<import('node:net').Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  stub.port = port;
  stub.host = `127.0.0.1:${port}`;
  stub.close = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
  return stub;
}

/** Serves bytes with the registry's headers. */
export function send(res: http.ServerResponse, body: Buffer, headers: Record<string, string> = {}): void {
  res.writeHead(200, { 'content-length': String(body.length), ...headers });
  res.end(body);
}
