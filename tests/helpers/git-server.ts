import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { TEST_ENV } from './repo.js';

/**
 * A real git smart-HTTP server on loopback for remote-ledger tests: a Node HTTP server that runs
 * `git http-backend` as a CGI per request against bare repositories under one root, with pushes
 * enabled and, when `token` is set, HTTP Basic authentication (any user name, the token as
 * password). `requests` counts what it served, per method.
 */
export interface GitServer {
  /** Base URL; a repository `name` lives at `${url}/${name}.git`. */
  url: string;
  root: string;
  requests: { method: string; path: string; status: number }[];
  /** Creates a bare repository whose HEAD points at `head` (so clients never see an unborn HEAD). */
  createRepo(name: string, head?: string): string;
  /** Makes git POSTs slow from now on (see SlowMode); `undefined` makes them fast again. */
  slow(mode: SlowMode | undefined): void;
  close(): Promise<void>;
}

/**
 * A slow git server: each POST (of `service` only, when given) is answered `ms` after it arrived.
 * `phase: 'answer'` (the default) processes the request at once and holds back only the answer, so
 * a push lands on the server while the client still waits; `phase: 'request'` waits before
 * processing, and processes nothing if the client gave up meanwhile (its push never lands).
 */
export interface SlowMode {
  ms: number;
  service?: 'git-receive-pack' | 'git-upload-pack';
  phase?: 'answer' | 'request';
}

export async function startGitServer(options: { token?: string; slow?: SlowMode } = {}): Promise<GitServer> {
  const root = mkdtempSync(path.join(tmpdir(), 'driftctl-git-server-'));
  const requests: GitServer['requests'] = [];
  let slow = options.slow;
  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const arrived = Date.now();
    const mode = slow && req.method === 'POST' && (!slow.service || url.pathname.endsWith(`/${slow.service}`)) ? slow : undefined;
    const wait = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, Math.max(0, (mode?.ms ?? 0) - (Date.now() - arrived))));
    if (mode?.phase === 'request') {
      const body: Buffer[] = [];
      for await (const chunk of req) body.push(chunk as Buffer);
      await wait();
      if (req.socket.destroyed) {
        requests.push({ method: req.method ?? '', path: url.pathname, status: 0 });
        return;
      }
      serve(req, res, url, Buffer.concat(body), undefined);
      return;
    }
    serve(req, res, url, undefined, mode ? wait() : undefined);
  });
  /** Runs git http-backend for one request; with `held`, its answer is written only once `held` settles. */
  const serve = (req: IncomingMessage, res: ServerResponse, url: URL, body: Buffer | undefined, held: Promise<void> | undefined): void => {
    if (options.token) {
      const header = req.headers.authorization ?? '';
      const [scheme, value] = header.split(' ');
      const password = scheme === 'Basic' && value ? Buffer.from(value, 'base64').toString('utf8').split(':').slice(1).join(':') : undefined;
      if (password !== options.token) {
        requests.push({ method: req.method ?? '', path: url.pathname, status: 401 });
        res.writeHead(401, { 'www-authenticate': 'Basic realm="git"' });
        res.end('authentication required');
        return;
      }
    }
    const cgi = spawn('git', ['http-backend'], {
      env: {
        ...TEST_ENV,
        GIT_PROJECT_ROOT: root,
        GIT_HTTP_EXPORT_ALL: '1',
        PATH_INFO: decodeURIComponent(url.pathname),
        QUERY_STRING: url.search.replace(/^\?/, ''),
        REQUEST_METHOD: req.method ?? 'GET',
        CONTENT_TYPE: req.headers['content-type'] ?? '',
        REMOTE_USER: 'driftctl-test',
        REMOTE_ADDR: '127.0.0.1',
        ...(req.headers['content-encoding'] ? { HTTP_CONTENT_ENCODING: String(req.headers['content-encoding']) } : {}),
        ...(req.headers['git-protocol'] ? { GIT_PROTOCOL: String(req.headers['git-protocol']) } : {}),
      },
    });
    if (body) cgi.stdin.end(body);
    else req.pipe(cgi.stdin);
    let head = Buffer.alloc(0);
    let headersDone = false;
    const output: Buffer[] = [];
    const onData = (chunk: Buffer): void => {
      if (headersDone) {
        res.write(chunk);
        return;
      }
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      headersDone = true;
      let status = 200;
      const headers: Record<string, string> = {};
      for (const line of head.subarray(0, end).toString('utf8').split('\r\n')) {
        const i = line.indexOf(':');
        const key = line.slice(0, i).trim();
        const value = line.slice(i + 1).trim();
        if (key.toLowerCase() === 'status') status = Number(value.split(' ')[0]);
        else headers[key] = value;
      }
      requests.push({ method: req.method ?? '', path: url.pathname, status });
      res.writeHead(status, headers);
      res.write(head.subarray(end + 4));
    };
    if (held) {
      cgi.stdout.on('data', (chunk: Buffer) => output.push(chunk));
      cgi.stdout.on('end', () => {
        void held.then(() => {
          if (res.destroyed) return;
          for (const chunk of output) onData(chunk);
          res.end();
        });
      });
    } else {
      cgi.stdout.on('data', onData);
      cgi.stdout.on('end', () => res.end());
    }
    cgi.on('error', () => {
      res.writeHead(500);
      res.end();
    });
  };
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    root,
    requests,
    slow(mode) {
      slow = mode;
    },
    createRepo(name, head = 'drift-ledger') {
      const dir = path.join(root, `${name}.git`);
      mkdirSync(dir, { recursive: true });
      execFileSync('git', ['init', '-q', '--bare', dir], { env: TEST_ENV });
      execFileSync('git', ['--git-dir', dir, 'config', 'http.receivepack', 'true'], { env: TEST_ENV });
      execFileSync('git', ['--git-dir', dir, 'symbolic-ref', 'HEAD', `refs/heads/${head}`], { env: TEST_ENV });
      return dir;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          rmSync(root, { recursive: true, force: true });
          resolve();
        });
      }),
  };
}
