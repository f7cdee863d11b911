import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { KubernetesSourceConfig } from '../../src/config/config.js';
import { createFieldMatcher, displayPath, fromPointer, toPointer } from '../../src/match/field-pattern.js';
import type { Json, ManifestEntry } from '../../src/drift/manifest.js';
import { describeDelta } from '../../src/drift/report.js';
import { DriftError } from '../../src/errors.js';
import { createKubernetesSource } from '../../src/sources/kubernetes-source.js';
import type { SourceContext } from '../../src/sources/source.js';
import { driftFailure, withTempDir } from '../helpers/temp.js';

// Kubernetes diff semantics against real-world shapes (see tests/fixtures/README.md for origins).

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const FIXTURES = path.join(REPO_ROOT, 'tests', 'fixtures', 'kubernetes');
const LIVE = path.join(FIXTURES, 'argo-env-inserted.live.json');
const DESIRED = path.join(FIXTURES, 'argo-env-inserted.desired.yaml');

type Desired = NonNullable<KubernetesSourceConfig['desired']>;

function context(): SourceContext {
  return { cacheDir: tmpdir(), env: { PATH: process.env.PATH }, now: new Date('2026-01-02T03:04:05Z') };
}

async function observe(live: string, desired?: Desired): Promise<Map<string, ManifestEntry>> {
  const source = createKubernetesSource({ kind: 'kubernetes', name: 'cluster', ignoreFields: [], file: live, ...(desired ? { desired } : {}) });
  return (await source.observe(context())).entries;
}

/** The fields a report shows for a new entry (or for `before` → `after`), in dotted form. */
function shownFields(after: ManifestEntry | undefined, before?: ManifestEntry): { path: string; change: string; before?: Json; after?: Json }[] {
  const detail = describeDelta({ before, after });
  return (detail.fields ?? []).map((f) => ({ ...f, path: displayPath(f.path) }));
}

function write(dir: string, name: string, value: unknown): string {
  const file = path.join(dir, name);
  writeFileSync(file, typeof value === 'string' ? value : JSON.stringify(value));
  return file;
}

const liveDeployment = (): Record<string, any> => JSON.parse(readFileSync(LIVE, 'utf8'));

test('desired mode: an env var and a sidecar inserted live are not drift; the label removed from the manifest is (last-applied)', () =>
  withTempDir('k8s-diff', async (dir) => {
    // With the label still in the manifest, the injected VAR2 (before VAR1), the injected sidecar
    // (first container) and the defaulted port protocol are all in sync.
    const withLabel = write(dir, 'desired.yaml', readFileSync(DESIRED, 'utf8').replace('    app: guestbook-ui\n  name:', '    app: guestbook-ui\n    tier: web\n  name:'));
    assert.equal([...(await observe(LIVE, { file: withLabel })).keys()], []);

    const entries = await observe(LIVE, { file: DESIRED });
    assert.equal([...entries.keys()], ['Deployment/default/guestbook-ui']);
    assert.equal(shownFields(entries.get('Deployment/default/guestbook-ui')), [{ path: 'metadata.labels.tier', change: 'added', after: 'web' }]);
  }));

test('desired mode: a changed or missing keyed item is reported by its key, not its index', () =>
  withTempDir('k8s-diff', async (dir) => {
    const live = liveDeployment();
    const app = live.spec.template.spec.containers[1];
    app.env[1].value = 'changed';
    app.ports = [{ containerPort: 8080, protocol: 'TCP' }];
    const entries = await observe(write(dir, 'live.json', live), { file: DESIRED });
    const c = 'spec.template.spec.containers[name=guestbook-ui]';
    assert.equal(shownFields(entries.get('Deployment/default/guestbook-ui')), [
      { path: 'metadata.labels.tier', change: 'added', after: 'web' },
      { path: `${c}.env[name=VAR1].value`, change: 'changed', before: 'something', after: 'changed' },
      { path: `${c}.ports[containerPort=80,protocol=TCP]`, change: 'removed', before: { containerPort: 80 } },
    ]);
  }));

test('live mode: a reordered keyed list is the same content; a change shows by key', () =>
  withTempDir('k8s-diff', async (dir) => {
    const live = liveDeployment();
    const first = (await observe(write(dir, 'a.json', live))).get('Deployment/default/guestbook-ui');
    live.spec.template.spec.containers.reverse();
    live.spec.template.spec.containers[0].env.reverse();
    const reordered = (await observe(write(dir, 'b.json', live))).get('Deployment/default/guestbook-ui');
    assert.is(reordered?.sha256, first?.sha256);
    live.spec.template.spec.containers[0].env[0].value = 'other';
    const changed = (await observe(write(dir, 'c.json', live))).get('Deployment/default/guestbook-ui');
    assert.ok(changed?.sha256 !== first?.sha256);
    assert.equal(shownFields(changed, first), [
      { path: 'spec.template.spec.containers[name=guestbook-ui].env[name=VAR1].value', change: 'changed', before: 'something', after: 'other' },
    ]);
    // Init containers run in order: their order stays significant.
    live.spec.template.spec.initContainers = [{ name: 'a', image: 'x' }, { name: 'b', image: 'y' }];
    const init1 = (await observe(write(dir, 'd.json', live))).get('Deployment/default/guestbook-ui');
    live.spec.template.spec.initContainers.reverse();
    const init2 = (await observe(write(dir, 'e.json', live))).get('Deployment/default/guestbook-ui');
    assert.ok(init1?.sha256 !== init2?.sha256);
  }));

test('removed fields from server-side apply managedFields: only fields the Apply manager owned', () =>
  withTempDir('k8s-diff', async (dir) => {
    const live = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: 'settings',
        namespace: 'app',
        managedFields: [
          { manager: 'argocd-controller', operation: 'Apply', fieldsType: 'FieldsV1', fieldsV1: { 'f:data': { 'f:a': {}, 'f:old': {} }, 'f:metadata': { 'f:labels': { 'f:team': {} } } } },
          { manager: 'kubectl-edit', operation: 'Update', fieldsType: 'FieldsV1', fieldsV1: { 'f:data': { 'f:manual': {} } } },
        ],
        // "owner" was set by another client: not pruned, so not shown.
        labels: { team: 'core', owner: 'someone' },
      },
      data: { a: '1', old: 'x', manual: 'y' },
    };
    const desired = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace: 'app' }, data: { a: '1' } };
    const entries = await observe(write(dir, 'live.json', live), { file: write(dir, 'desired.json', desired) });
    assert.equal(shownFields(entries.get('ConfigMap/app/settings')), [
      { path: 'data.old', change: 'added', after: 'x' },
      { path: 'metadata.labels', change: 'added', after: { team: 'core' } },
    ]);
    // Another manager's apply does not count when field_manager names the one that applies the manifests.
    const other = await observe(write(dir, 'live.json', live), { file: write(dir, 'desired.json', desired), fieldManager: 'helm' });
    assert.equal([...other.keys()], []);
    // A keyed item the last apply set and the manifest dropped is reported by its key.
    const deploy = liveDeployment();
    deploy.metadata.labels = { app: 'guestbook-ui' };
    const applied = JSON.parse(deploy.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']);
    applied.metadata.labels = { app: 'guestbook-ui' };
    applied.spec.template.spec.containers[0].env.push({ name: 'VAR2', value: 'injected' });
    deploy.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration'] = JSON.stringify(applied);
    const dropped = await observe(write(dir, 'deploy.json', deploy), { file: DESIRED });
    assert.equal(shownFields(dropped.get('Deployment/default/guestbook-ui')), [
      { path: 'spec.template.spec.containers[name=guestbook-ui].env[name=VAR2]', change: 'added', after: { name: 'VAR2', value: 'injected' } },
    ]);
  }));

test('live objects with no manifest are extra: rendered kinds and namespaces only, not owned, opt-out per kind', () =>
  withTempDir('k8s-diff', async (dir) => {
    const cm = (name: string, extra: Record<string, unknown> = {}) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'app', ...extra }, data: { k: name } });
    const live = {
      kind: 'List',
      items: [
        cm('kept'),
        cm('orphan'),
        cm('owned', { ownerReferences: [{ apiVersion: 'v1', kind: 'Foo', name: 'x', uid: 'u' }] }),
        { ...cm('elsewhere'), metadata: { name: 'elsewhere', namespace: 'other' } },
        { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'unrendered-kind', namespace: 'app' } },
      ],
    };
    const liveFile = write(dir, 'live.json', live);
    const desiredFile = write(dir, 'desired.json', [cm('kept')]);
    const entries = await observe(liveFile, { file: desiredFile });
    assert.equal([...entries.keys()], ['ConfigMap/app/orphan']);
    assert.equal(entries.get('ConfigMap/app/orphan')?.content, { actions: ['extra'], before: null, after: cm('orphan') });
    assert.equal(describeDelta({ after: entries.get('ConfigMap/app/orphan') }).actions, ['extra']);
    assert.equal([...(await observe(liveFile, { file: desiredFile, extraIgnoreKinds: ['Config*'] })).keys()], []);
    assert.equal([...(await observe(liveFile, { file: desiredFile, extra: false })).keys()], []);
  }));

test('Helm hooks are not desired objects (unless include_hooks), and live hooks are not extra', () =>
  withTempDir('k8s-diff', async (dir) => {
    const hook = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web-test-connection', namespace: 'app', annotations: { 'helm.sh/hook': 'test' } }, spec: { containers: [{ name: 'wget', image: 'busybox' }] } };
    const job = { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'migrate', namespace: 'app', annotations: { 'helm.sh/hook': 'pre-install,pre-upgrade' } }, spec: {} };
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'app' }, spec: { containers: [{ name: 'web', image: 'nginx' }] } };
    const liveFile = write(dir, 'live.json', { kind: 'List', items: [pod, { ...hook, metadata: { ...hook.metadata, name: 'old-test' } }] });
    const desiredFile = write(dir, 'desired.yaml', [pod, hook, job].map((o) => JSON.stringify(o)).join('\n---\n'));
    assert.equal([...(await observe(liveFile, { file: desiredFile })).keys()], []);
    assert.equal([...(await observe(liveFile, { file: desiredFile, includeHooks: true })).keys()], ['Job/app/migrate', 'Pod/app/web-test-connection']);
  }));

test('Secret: "" in the manifest and null live are equal; a real change still differs', () =>
  withTempDir('k8s-diff', async (dir) => {
    const secret = (data: Record<string, string | null>) => ({ apiVersion: 'v1', kind: 'Secret', type: 'Opaque', metadata: { name: 'creds', namespace: 'app' }, data });
    const desiredFile = write(dir, 'desired.yaml', 'apiVersion: v1\nkind: Secret\ntype: Opaque\nmetadata:\n  name: creds\n  namespace: app\ndata:\n  token: ""\n  user: dXNlcg==\n');
    assert.equal([...(await observe(write(dir, 'live.json', secret({ token: null, user: 'dXNlcg==' })), { file: desiredFile })).keys()], []);
    assert.equal([...(await observe(write(dir, 'live.json', secret({ token: 'eA==', user: 'dXNlcg==' })), { file: desiredFile })).keys()], ['Secret/app/creds']);
  }));

test('a JSON object followed by --- and YAML documents is a valid multi-document stream; broken JSON still fails', () =>
  withTempDir('k8s-diff', async (dir) => {
    const live = write(dir, 'live.json', { kind: 'List', items: [] });
    const mixed = write(dir, 'desired.yaml', '{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a", "namespace": "app"}}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n  namespace: app\n');
    assert.equal([...(await observe(live, { file: mixed })).keys()], ['ConfigMap/app/a', 'ConfigMap/app/b']);
    const broken = await driftFailure(observe(live, { file: write(dir, 'broken.json', '{"apiVersion": "v1", "kind": ') }));
    assert.ok(broken instanceof DriftError);
    assert.is(broken.code, 'SOURCE_FAILED');
    assert.match(broken.message, /broken\.json: is not valid JSON/);
  }));

test('false positives users reported to Argo CD and Flux: quantities, defaulted protocol, reordered Service ports, null vs absent', () =>
  withTempDir('k8s-diff', async (dir) => {
    const desired = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', namespace: 'app', annotations: null },
      spec: { ports: [{ port: 80, targetPort: 8080 }, { port: 443, targetPort: 8443, name: 'https' }], selector: { app: 'web' } },
    };
    const live = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', namespace: 'app', uid: 'u' },
      spec: { clusterIP: '10.0.0.1', ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 8443 }, { port: 80, protocol: 'TCP', targetPort: 8080 }], selector: { app: 'web' }, type: 'ClusterIP' },
    };
    const pod = (cpu: string | number, order: 'ab' | 'ba') => {
      const a = { name: 'a', image: 'a:1', resources: { requests: { cpu, memory: '1Gi' } } };
      const b = { name: 'b', image: 'b:1' };
      return { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'app' }, spec: { containers: order === 'ab' ? [a, b] : [b, a] } };
    };
    const liveFile = write(dir, 'live.json', { kind: 'List', items: [live, pod('500m', 'ba')] });
    const desiredFile = write(dir, 'desired.json', [desired, { ...pod(0.5, 'ab'), spec: { containers: [{ ...pod(0.5, 'ab').spec.containers[0], resources: { requests: { cpu: 0.5, memory: '1024Mi' } } }, pod(0.5, 'ab').spec.containers[1]] } }]);
    assert.equal([...(await observe(liveFile, { file: desiredFile })).keys()], []);
    // A real change of a reordered Service port is named by its key.
    live.spec.ports[0].targetPort = 9443;
    const changed = await observe(write(dir, 'live.json', { kind: 'List', items: [live, pod('500m', 'ba')] }), { file: desiredFile });
    assert.equal(shownFields(changed.get('Service/app/web')), [{ path: 'spec.ports[port=443,protocol=TCP].targetPort', change: 'changed', before: 8443, after: 9443 }]);
  }));

test('field patterns name keyed items the way reports show them', () => {
  const path = fromPointer(toPointer(['spec', 'template', 'spec', 'containers', '[name=web]', 'env', '[name=VAR1]', 'value']));
  assert.is(displayPath(toPointer(path)), 'spec.template.spec.containers[name=web].env[name=VAR1].value');
  assert.ok(createFieldMatcher(['spec.template.spec.containers[name=web].env[*].value'])(path));
  assert.ok(createFieldMatcher(['**.env[name=VAR1]'])(path));
  assert.not.ok(createFieldMatcher(['spec.template.spec.containers[name=db]'])(path));
});

test.run();
