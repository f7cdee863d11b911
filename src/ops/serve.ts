import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AlertEventRecord } from '../ledger/records.js';
import type { Config } from '../config/config.js';
import { loadConfig, resolveConfigPath } from '../config/load-config.js';
import { DriftError, isDriftError, messageOf, type ErrorCode } from '../errors.js';
import { renderDriftctlMetrics } from '../metrics/driftctl-metrics.js';
import { EXPOSITION_CONTENT_TYPE } from '../metrics/exposition.js';
import type { ConfigOption, OpDeps } from '../session/deps.js';
import { readEntryRecord, type LedgerReader } from '../ledger/reader.js';
import { readMetricsInput } from '../metrics/metrics-input.js';
import { openReader } from '../session/workspace.js';

/**
 * `driftctl serve`: a read-only HTTP server over the ledger. GET /metrics (Prometheus text),
 * /healthz, /api/targets, /api/reports, /api/alerts. The config is loaded once, at start; the
 * ledger is opened afresh for every request, so whatever a `check` commits between two requests
 * shows in the second. It never takes the ledger lock and never writes to the ledger.
 */

export const DEFAULT_SERVE_PORT = 9477;
export const DEFAULT_SERVE_HOST = '127.0.0.1';
const DEFAULT_LIMIT = 20;
const MAX_LIMIT = 1000;
/** How long open keep-alive requests may take to finish once the server is stopping. */
const CLOSE_GRACE_MS = 2000;

export interface ServeOptions extends ConfigOption {
  /** 0 picks a free port (see onListening for the one chosen). */
  port?: number;
  host?: string;
  /** Aborting it stops the server; serve() then resolves. */
  signal?: AbortSignal;
  /** Called once the server accepts connections, with its base URL. */
  onListening?: (url: string) => void;
}

export interface ServeResult {
  url: string;
  requests: number;
}

export interface ServeResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Listens until `signal` aborts. Throws LISTEN_FAILED when the address cannot be bound. */
export async function serve(deps: OpDeps, options: ServeOptions): Promise<ServeResult> {
  const config = loadConfig(resolveConfigPath(deps.cwd, options.config), deps.cwd);
  const handle = createServeHandler(config);
  const host = options.host ?? DEFAULT_SERVE_HOST;
  const port = options.port ?? DEFAULT_SERVE_PORT;
  let requests = 0;
  const server = createServer((req, res) => {
    requests++;
    void respond(handle, req, res);
  });
  await listen(server, port, host);
  const address = server.address() as AddressInfo;
  const url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  options.onListening?.(url);
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      const force = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS);
      server.close(() => {
        clearTimeout(force);
        resolve();
      });
      server.closeIdleConnections();
    };
    if (!options.signal) return;
    if (options.signal.aborted) stop();
    else options.signal.addEventListener('abort', stop, { once: true });
  });
  return { url, requests };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const failed = (error: NodeJS.ErrnoException): void => {
      reject(new DriftError('LISTEN_FAILED', `cannot listen on ${host}:${port}: ${error.code ?? messageOf(error)}`, { cause: error, data: { host, port, errno: error.code ?? null } }));
    };
    server.once('error', failed);
    server.listen(port, host, () => {
      server.off('error', failed);
      resolve();
    });
  });
}

async function respond(handle: (method: string, url: string) => Promise<ServeResponse>, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const method = req.method ?? 'GET';
  let response: ServeResponse;
  try {
    response = await handle(method, req.url ?? '/');
  } catch (error) {
    response = isDriftError(error)
      ? json(500, { error: { code: error.code, message: error.message } })
      : json(500, { error: { code: 'INTERNAL', message: 'internal error' } });
  }
  const body = Buffer.from(response.body, 'utf8');
  res.writeHead(response.status, { ...response.headers, 'content-length': String(body.length), 'cache-control': 'no-store' });
  res.end(method === 'HEAD' ? undefined : body);
}

function json(status: number, data: unknown, headers: Record<string, string> = {}): ServeResponse {
  return { status, headers: { 'content-type': 'application/json; charset=utf-8', ...headers }, body: `${JSON.stringify(data, null, 2)}\n` };
}

function clientError(status: number, code: ErrorCode, message: string): ServeResponse {
  return json(status, { error: { code, message } });
}

/**
 * The routes, without sockets: (method, request URL) → response. GET and HEAD only; any other
 * method is 405 on every path (the server is read-only); unknown paths are 404. Both as JSON.
 */
export function createServeHandler(config: Config): (method: string, url: string) => Promise<ServeResponse> {
  const routes: Record<string, (view: LedgerReader, query: URLSearchParams) => Promise<ServeResponse>> = {
    '/metrics': async (view) => ({
      status: 200,
      headers: { 'content-type': EXPOSITION_CONTENT_TYPE },
      body: renderDriftctlMetrics(await readMetricsInput(view, config)),
    }),
    '/healthz': async (view) =>
      view.tip
        ? json(200, { status: 'ok', branch: config.ledger.branch, tip: view.tip })
        : json(503, {
            status: 'unavailable',
            branch: config.ledger.branch,
            tip: null,
            error: { code: 'NOT_INITIALIZED', message: `no ledger branch "${config.ledger.branch}" yet (run "driftctl init")` },
          }),
    '/api/targets': async (view) => json(200, await targetsView(config, view)),
    '/api/reports': (view, query) => reportsView(config, view, query),
    '/api/alerts': (view, query) => alertsView(config, view, query),
  };
  return async (method, url) => {
    if (method !== 'GET' && method !== 'HEAD') return json(405, { error: { code: 'METHOD_NOT_ALLOWED', message: `${method} is not allowed: this server is read-only (GET)` } }, { allow: 'GET, HEAD' });
    const parsed = new URL(url, 'http://driftctl.invalid');
    const route = routes[parsed.pathname];
    if (!route) return clientError(404, 'NOT_FOUND', `no such path: ${parsed.pathname} (known: ${Object.keys(routes).join(', ')})`);
    return route(await openReader(config), parsed.searchParams);
  };
}

async function targetsView(config: Config, view: LedgerReader): Promise<unknown> {
  const targets = [];
  for (const target of config.targets) {
    const head = view.ledger ? await view.head(target.name) : null;
    const alerts = view.ledger ? await view.alertsState(target.name) : null;
    targets.push({
      name: target.name,
      enabled: target.enabled,
      labels: target.labels,
      lastSnapshot: head?.snapshot ? { id: head.snapshot.id, time: head.snapshot.time, entries: head.snapshot.entries, errors: head.snapshot.errors } : null,
      lastReport: head?.report ?? null,
      baseline: head?.baseline ?? null,
      checks: head?.checks ?? null,
      openAlerts: alerts ? Object.keys(alerts.open).length : 0,
    });
  }
  return { branch: config.ledger.branch, tip: view.tip ?? null, targets };
}

function limitOf(query: URLSearchParams): number | ServeResponse {
  const raw = query.get('limit');
  if (raw === null) return DEFAULT_LIMIT;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < 1 || n > MAX_LIMIT) return clientError(400, 'BAD_REQUEST', `limit must be an integer from 1 to ${MAX_LIMIT} (got "${raw}")`);
  return n;
}

/** Reports, newest first: status and severity from the commit trailers, summary from the record. */
async function reportsView(config: Config, view: LedgerReader, query: URLSearchParams): Promise<ServeResponse> {
  const limit = limitOf(query);
  if (typeof limit !== 'number') return limit;
  const target = query.get('target');
  if (target !== null) {
    const known = new Set([...config.targets.map((t) => t.name), ...(view.ledger && view.tip ? await view.ledger.targetsAt(view.tip) : [])]);
    if (!known.has(target)) return clientError(404, 'UNKNOWN_TARGET', `unknown target "${target}" (known: ${[...known].join(', ')})`);
  }
  const reports = [];
  if (view.ledger && view.tip) {
    for (const entry of await view.history()) {
      if (entry.kind !== 'report' || !entry.target || (target !== null && entry.target !== target)) continue;
      const id = entry.records[0];
      const record = await readEntryRecord(view.ledger, entry, 'report');
      reports.push({
        id: id ?? null,
        target: entry.target,
        time: record?.time ?? new Date(entry.time).toISOString(),
        status: entry.trailers['Drift-Status'] ?? record?.status ?? null,
        highest: entry.trailers['Drift-Severity'] ?? record?.summary.highest ?? null,
        commit: entry.commit.oid,
        summary: record?.summary ?? null,
        snapshot: record?.snapshot.id ?? null,
        errors: record?.errors.length ?? 0,
      });
      if (reports.length >= limit) break;
    }
  }
  return json(200, { branch: config.ledger.branch, tip: view.tip ?? null, target, reports });
}

/** Open alerts (most severe first) and the most recent alert events (newest first, without their change lists). */
async function alertsView(config: Config, view: LedgerReader, query: URLSearchParams): Promise<ServeResponse> {
  const limit = limitOf(query);
  if (typeof limit !== 'number') return limit;
  const open = await view.openAlerts(config.targets.map((t) => t.name));
  const recent: Omit<AlertEventRecord, 'changes' | 'tool' | 'chain'>[] = (await view.recentAlertEvents(limit)).map(({ changes: _changes, tool: _tool, chain: _chain, ...rest }) => rest);
  return json(200, { branch: config.ledger.branch, tip: view.tip ?? null, open, recent });
}
