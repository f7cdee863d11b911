import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { HttpSourceConfig } from '../../src/config/config.js';
import { contentHash } from '../../src/drift/manifest.js';
import { DriftError } from '../../src/errors.js';
import { createHttpSource } from '../../src/sources/http-source.js';
import { createSource } from '../../src/sources/registry.js';
import type { SourceContext } from '../../src/sources/source.js';
import { useReceiver } from '../helpers/http-receiver.js';

const receiver = useReceiver(test);
const dir = mkdtempSync(path.join(tmpdir(), 'driftctl-http-'));
const SECRET = 'Bearer s3cret-token-value';

const SERVICES = {
  kind: 'ServiceList',
  data: {
    items: [
      { name: 'web', version: '1.4.2', replicas: 3, updatedAt: '2026-01-01T00:00:00Z' },
      { name: 'db', version: '15.2', replicas: 1, updatedAt: '2026-01-01T00:00:05Z' },
    ],
  },
};

function context(env: NodeJS.ProcessEnv = { API_TOKEN: SECRET }): SourceContext {
  return { cacheDir: dir, env, now: new Date('2026-01-02T03:04:05Z') };
}

function api(overrides: Partial<HttpSourceConfig> = {}): HttpSourceConfig {
  return {
    kind: 'http',
    name: 'api',
    ignoreFields: [{ fields: ['updatedAt'] }],
    parse: 'json',
    items: 'data.items',
    key: 'name',
    url: `${receiver.url}/v1/services?token=query-secret`,
    headers: { 'x-team': 'platform' },
    headersEnv: { authorization: 'API_TOKEN' },
    timeoutMs: 5000,
    ...overrides,
  };
}

async function failure(config: HttpSourceConfig, env?: NodeJS.ProcessEnv): Promise<string> {
  try {
    await createHttpSource(config).observe(context(env));
  } catch (error) {
    assert.instance(error, DriftError);
    assert.is((error as DriftError).code, 'SOURCE_FAILED');
    assert.is((error as DriftError).data.source, 'api');
    const text = `${(error as Error).message} ${JSON.stringify((error as DriftError).data)}`;
    assert.not.match(text, 's3cret', 'no header value in the error');
    assert.not.match(text, 'query-secret', 'no query string in the error');
    return (error as Error).message;
  }
  throw new Error('expected SOURCE_FAILED');
}

test.after(() => rmSync(dir, { recursive: true, force: true }));

test('a JSON body keyed by items + key; headers from config and env reach the server', async () => {
  receiver.script({ status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(SERVICES) });
  const source = await createSource(api());
  assert.is(source.kind, 'http');
  const { entries, stats } = await source.observe(context());
  const web = { name: 'web', replicas: 3, version: '1.4.2' };
  assert.equal([...entries.keys()], ['db', 'web']);
  assert.equal(entries.get('web'), { type: 'value', sha256: contentHash(web), content: web });
  assert.equal(stats, { entries: 2, hashed: 2, reused: 0, errors: 0 });

  assert.is(receiver.received.length, 1);
  const seen = receiver.received[0];
  assert.is(seen.method, 'GET');
  assert.is(seen.path, '/v1/services?token=query-secret');
  assert.is(seen.headers.authorization, SECRET);
  assert.is(seen.headers['x-team'], 'platform');
  assert.not.match(JSON.stringify([...entries]), 's3cret');
});

test('a header whose environment variable is missing fails naming the variable', async () => {
  const message = await failure(api(), {});
  assert.is(message, 'source "api": header authorization: environment variable API_TOKEN is not set');
  assert.is(receiver.received.length, 0);
});

test('a non-2xx answer is SOURCE_FAILED with the URL minus query and userinfo', async () => {
  receiver.script({ status: 503, body: `upstream down ${SECRET}` });
  const url = receiver.url.replace('http://', 'http://user:pass-secret@');
  const message = await failure(api({ url: `${url}/v1/services?token=query-secret` }));
  assert.is(message, `source "api": GET ${receiver.url}/v1/services answered 503 Service Unavailable`);
});

test('a body that is not JSON is SOURCE_FAILED', async () => {
  receiver.script({ status: 200, body: '<html>login</html>' });
  const message = await failure(api());
  assert.match(message, `source "api": body of GET ${receiver.url}/v1/services is not JSON: `);
});

test('a server that never answers times out', async () => {
  receiver.script('hang');
  const started = Date.now();
  const message = await failure(api({ timeoutMs: 300 }));
  assert.is(message, `source "api": GET ${receiver.url}/v1/services failed: timed out after 300 ms (raise timeout)`);
  assert.ok(Date.now() - started < 3000);
});

test('connection refused', async () => {
  const message = await failure(api({ url: 'http://127.0.0.1:1/x' }));
  assert.is(message, 'source "api": GET http://127.0.0.1:1/x failed: connection refused');
});

const hasOpenssl = (() => {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

test('https with a self-signed certificate: a TLS error without ca, success with it', async () => {
  if (!hasOpenssl) {
    console.log('  (skipped: openssl is not installed, so no certificate can be generated)');
    return;
  }
  const key = path.join(dir, 'key.pem');
  const cert = path.join(dir, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'], { stdio: 'ignore' });
  const server = createServer({ key: readFileSync(key), cert: readFileSync(cert) }, (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(SERVICES));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/v1/services`;
    const message = await failure(api({ url }));
    assert.is(message, `source "api": GET ${url} failed: TLS error DEPTH_ZERO_SELF_SIGNED_CERT: self-signed certificate (to trust a private CA, set ca to its PEM file)`);

    const { entries } = await createHttpSource(api({ url, ca: cert })).observe(context());
    assert.equal([...entries.keys()], ['db', 'web']);

    assert.match(await failure(api({ url, ca: path.join(dir, 'missing.pem') })), 'cannot read ca');
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

test.run();
