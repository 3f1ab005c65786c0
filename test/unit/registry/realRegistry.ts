/**
 * Starts a real registry for the tests: Debian's `docker-registry` (CNCF Distribution 2.8),
 * installed by scripts/setup-integration.sh. Each instance gets its own storage folder and config,
 * listens on 127.0.0.1 on a port the kernel picks (read back from its log), and is stopped by the
 * caller. Variants: anonymous plain HTTP, htpasswd basic auth, and TLS with a CA made for the test.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import bcrypt from 'bcryptjs';

export const REGISTRY_BIN = process.env.MODEL_INSPECT_REGISTRY_BIN ?? '/usr/bin/docker-registry';

/** Why the real-registry tests cannot run here, or false. */
export function registrySkip(): false | string {
  if (!fs.existsSync(REGISTRY_BIN))
    return `the docker-registry binary is absent (${REGISTRY_BIN}); install it with \`bash scripts/setup-integration.sh\` (Debian package docker-registry)`;
  return false;
}

export interface TestRegistry {
  /** `127.0.0.1:PORT` */
  host: string;
  scheme: 'http' | 'https';
  username?: string;
  password?: string;
  /** PEM of the test CA (TLS variant). */
  caPem?: string;
  dir: string;
  stop(): Promise<void>;
  /** A plain request to the registry API, for checking what the client did (not through the client). */
  api(
    method: string,
    pathAndQuery: string,
    headers?: Record<string, string>,
  ): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }>;
}

function makeCa(dir: string): { caPem: string; cert: string; key: string } {
  const run = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  run([
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '2',
    '-subj',
    '/CN=model-inspect test CA',
  ]);
  run([
    'req',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    'server.key',
    '-out',
    'server.csr',
    '-subj',
    '/CN=127.0.0.1',
  ]);
  fs.writeFileSync(
    path.join(dir, 'ext.cnf'),
    'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n',
  );
  run([
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'server.pem',
    '-days',
    '2',
    '-extfile',
    'ext.cnf',
  ]);
  return {
    caPem: fs.readFileSync(path.join(dir, 'ca.pem'), 'utf8'),
    cert: path.join(dir, 'server.pem'),
    key: path.join(dir, 'server.key'),
  };
}

export async function startRegistry(opts: { basicAuth?: boolean; tls?: boolean } = {}): Promise<TestRegistry> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'model-inspect-registry-'));
  const lines = [
    'version: 0.1',
    'log:',
    '  level: info',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${path.join(dir, 'data')}`,
    '  delete:',
    '    enabled: true',
    'http:',
    '  addr: 127.0.0.1:0',
    '  secret: model-inspect-test-secret',
  ];
  let username: string | undefined;
  let password: string | undefined;
  let caPem: string | undefined;
  if (opts.tls) {
    const ca = makeCa(dir);
    caPem = ca.caPem;
    lines.push('  tls:', `    certificate: ${ca.cert}`, `    key: ${ca.key}`);
  }
  if (opts.basicAuth) {
    username = 'ci-bot';
    password = `pw-${Math.random().toString(36).slice(2)}`;
    fs.writeFileSync(path.join(dir, 'htpasswd'), `${username}:${bcrypt.hashSync(password, 5)}\n`);
    lines.push('auth:', '  htpasswd:', '    realm: model-inspect-test', `    path: ${path.join(dir, 'htpasswd')}`);
  }
  fs.writeFileSync(path.join(dir, 'config.yml'), lines.join('\n') + '\n');
  // The registry logs every request. Its output goes to a file, not a pipe: a test that blocks in
  // spawnSync (running the CLI) would stop draining a pipe, and the registry would block on a full one.
  const logFile = path.join(dir, 'registry.log');
  const logFd = fs.openSync(logFile, 'a');
  const child: ChildProcess = spawn(REGISTRY_BIN, ['serve', path.join(dir, 'config.yml')], {
    stdio: ['ignore', logFd, logFd],
  });
  fs.closeSync(logFd);
  let exited: string | undefined;
  child.on('exit', (code) => {
    exited = `docker-registry exited (${code}) before listening`;
  });
  child.on('error', (e) => {
    exited = e.message;
  });
  let host: string | undefined;
  for (let attempt = 0; attempt < 600 && !host; attempt++) {
    const log = fs.readFileSync(logFile, 'utf8');
    host = /listening on (127\.0\.0\.1:\d+)/.exec(log)?.[1];
    if (host) break;
    if (exited) throw new Error(`${exited}:\n${log.slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  if (!host) {
    child.kill('SIGKILL');
    throw new Error(`docker-registry did not say where it listens:\n${fs.readFileSync(logFile, 'utf8').slice(-2000)}`);
  }
  const scheme = opts.tls ? 'https' : 'http';
  const auth = username ? `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}` : undefined;
  return {
    host,
    scheme,
    username,
    password,
    caPem,
    dir,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
    api(method, pathAndQuery, headers = {}) {
      const lib = scheme === 'https' ? https : http;
      return new Promise((resolve, reject) => {
        const req = lib.request(
          `${scheme}://${host}${pathAndQuery}`,
          { method, headers: { ...(auth ? { authorization: auth } : {}), ...headers }, ca: caPem },
          (res) => {
            const parts: Buffer[] = [];
            res.on('data', (c: Buffer) => parts.push(c));
            res.on('end', () =>
              resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts) }),
            );
            res.on('error', reject);
          },
        );
        req.on('error', reject);
        req.end();
      });
    },
  };
}
