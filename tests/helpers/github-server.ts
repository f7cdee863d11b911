import { execFileSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { TEST_ENV } from './repo.js';

/**
 * A loopback stand-in for the GitHub REST API routes `accept --pr` uses, backed by a real bare
 * repository (served by git-server.ts): GET /repos/{o}/{r}/pulls?head=&state=open, POST
 * /repos/{o}/{r}/pulls (the head branch must exist in the bare repository, and at most one open
 * pull request per head, else 422 as GitHub answers), PATCH /repos/{o}/{r}/pulls/{n}. Every
 * request is recorded with its method, path, query, authorization header and JSON body.
 */
export interface FakePull {
  number: number;
  head: string;
  base: string;
  title: string;
  body: string;
  state: 'open' | 'closed';
}

export interface GithubRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  auth: string;
  body: any;
  status: number;
}

export interface GithubServer {
  /** The API base URL (with the prefix, e.g. http://127.0.0.1:PORT/api/v3). */
  url: string;
  requests: GithubRequest[];
  pulls: FakePull[];
  /** The next N list requests answer [] (simulates a pull request opened concurrently). */
  hideOpenPulls: number;
  close(): Promise<void>;
}

export async function startGithubServer(options: { token: string; bareRepo: string; owner: string; repo: string; prefix?: string }): Promise<GithubServer> {
  const prefix = options.prefix ?? '';
  const pulls: FakePull[] = [];
  const requests: GithubRequest[] = [];
  let base = '';
  const state = { hideOpenPulls: 0 };
  const hasBranch = (branch: string): boolean => {
    try {
      execFileSync('git', ['--git-dir', options.bareRepo, 'rev-parse', '--verify', '-q', `refs/heads/${branch}`], { env: TEST_ENV, stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  };
  const view = (p: FakePull): object => ({
    number: p.number,
    state: p.state,
    title: p.title,
    body: p.body,
    html_url: `${base}/${options.owner}/${options.repo}/pull/${p.number}`,
    head: { ref: p.head, label: `${options.owner}:${p.head}` },
    base: { ref: p.base },
  });
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const text = Buffer.concat(chunks).toString('utf8');
      const record: GithubRequest = {
        method: req.method ?? '',
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        auth: String(req.headers.authorization ?? ''),
        body: text ? JSON.parse(text) : null,
        status: 0,
      };
      requests.push(record);
      const send = (status: number, data: unknown): void => {
        record.status = status;
        res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
        res.end(JSON.stringify(data));
      };
      const [scheme, token] = record.auth.split(' ');
      if (!/^(token|bearer)$/i.test(scheme ?? '') || token !== options.token) return send(401, { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest' });
      const repoPath = `${prefix}/repos/${options.owner}/${options.repo}/pulls`;
      if (url.pathname === repoPath && req.method === 'GET') {
        if (state.hideOpenPulls > 0) {
          state.hideOpenPulls--;
          return send(200, []);
        }
        const head = url.searchParams.get('head');
        const wanted = url.searchParams.get('state') ?? 'open';
        return send(200, pulls.filter((p) => (wanted === 'all' || p.state === wanted) && (!head || `${options.owner}:${p.head}` === head)).map(view));
      }
      if (url.pathname === repoPath && req.method === 'POST') {
        const { title, body, head, base: into } = record.body ?? {};
        if (!hasBranch(head) || !hasBranch(into)) return send(422, { message: 'Validation Failed', errors: [{ resource: 'PullRequest', field: hasBranch(head) ? 'base' : 'head', code: 'invalid' }] });
        if (pulls.some((p) => p.state === 'open' && p.head === head)) {
          return send(422, { message: 'Validation Failed', errors: [{ resource: 'PullRequest', code: 'custom', message: `A pull request already exists for ${options.owner}:${head}.` }] });
        }
        const pull: FakePull = { number: pulls.length + 1, head, base: into, title, body, state: 'open' };
        pulls.push(pull);
        return send(201, view(pull));
      }
      const m = new RegExp(`^${repoPath}/(\\d+)$`).exec(url.pathname);
      if (m && req.method === 'PATCH') {
        const pull = pulls.find((p) => p.number === Number(m[1]));
        if (!pull) return send(404, { message: 'Not Found' });
        if (record.body?.title !== undefined) pull.title = record.body.title;
        if (record.body?.body !== undefined) pull.body = record.body.body;
        return send(200, view(pull));
      }
      return send(404, { message: 'Not Found' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  base = `http://127.0.0.1:${port}`;
  return {
    url: `${base}${prefix}`,
    requests,
    pulls,
    get hideOpenPulls() {
      return state.hideOpenPulls;
    },
    set hideOpenPulls(n: number) {
      state.hideOpenPulls = n;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
