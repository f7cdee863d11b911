import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { KubernetesSourceConfig, ProcessSpec } from '../../src/config/config.js';
import { contentHash, type ManifestEntry } from '../../src/drift/manifest.js';
import { DriftError } from '../../src/errors.js';
import { createKubernetesSource } from '../../src/sources/kubernetes-source.js';
import type { SourceContext } from '../../src/sources/source.js';
import { driftFailure, withTempDir } from '../helpers/temp.js';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const FIXTURES = path.join(REPO_ROOT, 'tests', 'fixtures', 'kubernetes');
const LIVE = path.join(FIXTURES, 'live.json');
const RENDERED = path.join(FIXTURES, 'rendered.yaml');
const FAKE_KUBECTL = path.join(FIXTURES, 'fake-kubectl.sh');

function config(extra: Partial<KubernetesSourceConfig>): KubernetesSourceConfig {
  return { kind: 'kubernetes', name: 'cluster', ignoreFields: [], ...extra };
}

function context(env: NodeJS.ProcessEnv = {}): SourceContext {
  return { cacheDir: tmpdir(), env: { PATH: process.env.PATH, ...env }, now: new Date('2026-01-02T03:04:05Z') };
}

function spec(argv: string[]): ProcessSpec {
  return { argv, shell: false, cwd: FIXTURES, timeoutMs: 10_000, env: ['FAKE_KUBECTL_MODE', 'FAKE_KUBECTL_LOG', 'FAKE_KUBECTL_OBJECTS'], exec: [] };
}

function expectEntry(entries: Map<string, ManifestEntry>, key: string, content: unknown, pair = false): void {
  assert.equal(entries.get(key), { type: 'value', sha256: contentHash(content as never), content, ...(pair ? { pair: true } : {}) }, key);
}

const LIVE_KEYS = ['ClusterRole/_cluster/web-reader', 'ConfigMap/shop/web-config', 'Deployment/shop/web', 'Namespace/_cluster/shop', 'Service/shop/web'];

const LIVE_DEPLOYMENT = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: {
    annotations: { 'meta.helm.sh/release-name': 'shop' },
    labels: { 'app.kubernetes.io/managed-by': 'Helm', 'app.kubernetes.io/name': 'web' },
    name: 'web',
    namespace: 'shop',
  },
  spec: {
    progressDeadlineSeconds: 600,
    replicas: 5,
    revisionHistoryLimit: 10,
    selector: { matchLabels: { 'app.kubernetes.io/name': 'web' } },
    strategy: { rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' }, type: 'RollingUpdate' },
    template: {
      metadata: { creationTimestamp: null, labels: { 'app.kubernetes.io/name': 'web' } },
      spec: {
        // Containers are a list merged by name: stored sorted by it, so a reorder is not drift.
        containers: [
          { image: 'registry.example.com/mesh/proxy:2.0.0', name: 'mesh-proxy', resources: {} },
          {
            env: [{ name: 'LOG_LEVEL', value: 'info' }],
            image: 'registry.example.com/shop/web:1.4.2',
            imagePullPolicy: 'IfNotPresent',
            name: 'web',
            ports: [{ containerPort: 8080, name: 'http', protocol: 'TCP' }],
            resources: { limits: { cpu: '1', memory: '512Mi' }, requests: { cpu: '500m', memory: '256Mi' } },
            terminationMessagePath: '/dev/termination-log',
            terminationMessagePolicy: 'File',
          },
        ],
        dnsPolicy: 'ClusterFirst',
        restartPolicy: 'Always',
        schedulerName: 'default-scheduler',
        securityContext: {},
        terminationGracePeriodSeconds: 30,
      },
    },
  },
};

test('live objects: one entry per object keyed kind/namespace/name, only desired state kept', async () => {
  const observation = await createKubernetesSource(config({ file: LIVE })).observe(context());
  const { entries } = observation;
  assert.equal([...entries.keys()], LIVE_KEYS);
  assert.equal(observation.stats, { entries: 5, hashed: 5, reused: 0, errors: 0 });
  expectEntry(entries, 'Deployment/shop/web', LIVE_DEPLOYMENT);
  expectEntry(entries, 'Service/shop/web', {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { annotations: { 'meta.helm.sh/release-name': 'shop' }, labels: { 'app.kubernetes.io/name': 'web' }, name: 'web', namespace: 'shop' },
    spec: {
      clusterIP: '10.96.12.34',
      clusterIPs: ['10.96.12.34'],
      internalTrafficPolicy: 'Cluster',
      ipFamilies: ['IPv4'],
      ipFamilyPolicy: 'SingleStack',
      ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 }],
      selector: { 'app.kubernetes.io/name': 'web' },
      sessionAffinity: 'None',
      type: 'ClusterIP',
    },
  });
  // Only the last-applied annotation was there: annotations and the empty labels are gone.
  expectEntry(entries, 'ConfigMap/shop/web-config', { apiVersion: 'v1', data: { FEATURE_FLAGS: 'checkout-v2', LOG_LEVEL: 'info' }, kind: 'ConfigMap', metadata: { name: 'web-config', namespace: 'shop' } });
  expectEntry(entries, 'Namespace/_cluster/shop', { apiVersion: 'v1', kind: 'Namespace', metadata: { labels: { 'kubernetes.io/metadata.name': 'shop' }, name: 'shop' }, spec: { finalizers: ['kubernetes'] } });
  expectEntry(entries, 'ClusterRole/_cluster/web-reader', {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name: 'web-reader' },
    rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'watch'] }],
  });
});

test('changing only resourceVersion, uid, generation, timestamps, managedFields, revision annotations or status changes no sha256', () =>
  withTempDir('k8s-test', async (dir) => {
    const before = await createKubernetesSource(config({ file: LIVE })).observe(context());
    const doc = JSON.parse(readFileSync(LIVE, 'utf8'));
    for (const item of doc.items) {
      item.metadata.resourceVersion = '999999';
      item.metadata.uid = '00000000-0000-4000-8000-00000000ffff';
      item.metadata.generation = 99;
      item.metadata.creationTimestamp = '2030-01-01T00:00:00Z';
      item.metadata.managedFields = [{ manager: 'someone', operation: 'Apply', time: '2030-01-01T00:00:00Z' }];
      item.metadata.annotations = { ...item.metadata.annotations, 'kubectl.kubernetes.io/last-applied-configuration': '{"changed":true}', 'deployment.kubernetes.io/revision': '8' };
      item.status = { phase: 'Terminating', replicas: 1, observedGeneration: 99 };
    }
    const file = path.join(dir, 'live.json');
    writeFileSync(file, JSON.stringify(doc));
    const after = await createKubernetesSource(config({ file })).observe(context());
    assert.equal([...after.entries.keys()], LIVE_KEYS);
    for (const key of LIVE_KEYS) assert.is(after.entries.get(key)?.sha256, before.entries.get(key)?.sha256, key);

    doc.items[0].spec.replicas = 6;
    writeFileSync(file, JSON.stringify(doc));
    const scaled = await createKubernetesSource(config({ file })).observe(context());
    for (const key of LIVE_KEYS) assert.is(scaled.entries.get(key)?.sha256 === before.entries.get(key)?.sha256, key !== 'Deployment/shop/web', key);
  }));

test('ignore_fields apply per key glob and to every key', async () => {
  const source = createKubernetesSource(
    config({
      file: LIVE,
      ignoreFields: [{ keys: ['Deployment/**'], fields: ['spec.replicas', 'spec.template.spec.containers[*].image'] }, { fields: ['/metadata/annotations/meta.helm.sh~1*', 'spec.clusterIP*'] }],
    }),
  );
  const { entries } = await source.observe(context());
  const deployment = entries.get('Deployment/shop/web')?.content as { metadata: Record<string, unknown>; spec: { replicas?: number; template: { spec: { containers: { image?: string }[] } } } };
  assert.is(deployment.spec.replicas, undefined);
  assert.equal(deployment.spec.template.spec.containers.map((c) => c.image), [undefined, undefined]);
  assert.equal(deployment.metadata.annotations, {});
  const service = entries.get('Service/shop/web')?.content as { spec: Record<string, unknown> };
  assert.equal(Object.keys(service.spec), ['internalTrafficPolicy', 'ipFamilies', 'ipFamilyPolicy', 'ports', 'selector', 'sessionAffinity', 'type']);
});

const DESIRED_DEPLOYMENT = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { labels: { 'app.kubernetes.io/managed-by': 'Helm', 'app.kubernetes.io/name': 'web' }, name: 'web', namespace: 'shop' },
  spec: {
    replicas: 3,
    selector: { matchLabels: { 'app.kubernetes.io/name': 'web' } },
    template: {
      metadata: { labels: { 'app.kubernetes.io/name': 'web' } },
      spec: {
        containers: [
          {
            env: [{ name: 'LOG_LEVEL', value: 'info' }],
            image: 'registry.example.com/shop/web:1.4.1',
            name: 'web',
            ports: [{ containerPort: 8080, name: 'http' }],
            resources: { limits: { cpu: 1, memory: '512Mi' }, requests: { cpu: 0.5, memory: '256Mi' } },
          },
        ],
        securityContext: {},
      },
    },
  },
};

const PDB = {
  apiVersion: 'policy/v1',
  kind: 'PodDisruptionBudget',
  metadata: { name: 'web', namespace: 'shop' },
  spec: { minAvailable: 2, selector: { matchLabels: { 'app.kubernetes.io/name': 'web' } } },
};

function assertRenderedDrift(entries: Map<string, ManifestEntry>): void {
  assert.equal([...entries.keys()], ['Deployment/shop/web', 'PodDisruptionBudget/shop/web']);
  const live = structuredClone(DESIRED_DEPLOYMENT) as typeof DESIRED_DEPLOYMENT;
  live.spec.replicas = 5;
  live.spec.template.spec.containers[0].image = 'registry.example.com/shop/web:1.4.2';
  expectEntry(entries, 'Deployment/shop/web', { actions: ['update'], before: DESIRED_DEPLOYMENT, after: live }, true);
  expectEntry(entries, 'PodDisruptionBudget/shop/web', { actions: ['create'], before: PDB, after: null }, true);
}

test('desired vs live: only differences at desired fields, as pairs; defaults, quantities, sidecars and equal objects give nothing', async () => {
  const observation = await createKubernetesSource(config({ file: LIVE, desired: { file: RENDERED } })).observe(context());
  assertRenderedDrift(observation.entries);
  assert.equal(observation.stats, { entries: 2, hashed: 2, reused: 0, errors: 0 });
});

test('desired without a namespace: default namespace, or cluster scope for cluster kinds and kinds seen live without one; JSON desired; missing array elements', () =>
  withTempDir('k8s-test', async (dir) => {
    const live = {
      kind: 'List',
      items: [
        { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'builder', namespace: 'default', uid: 'u1' }, secrets: [{ name: 'builder-token' }] },
        { apiVersion: 'cert-manager.io/v1', kind: 'ClusterIssuer', metadata: { name: 'letsencrypt' }, spec: { acme: { email: 'ops@example.test' } }, status: { ready: true } },
        { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'job', namespace: 'ci' }, spec: { containers: [{ name: 'a', args: ['x'] }] } },
        { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'builder' }, subjects: [] },
      ],
    };
    const desired = [
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'builder' } },
      { apiVersion: 'cert-manager.io/v1', kind: 'ClusterIssuer', metadata: { name: 'letsencrypt' }, spec: { acme: { email: 'security@example.test' } } },
      { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'job', namespace: 'ci' }, spec: { containers: [{ name: 'a', args: ['x', 'y'] }, { name: 'b' }] } },
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'builder', labels: {} }, subjects: [] },
    ];
    const liveFile = path.join(dir, 'live.json');
    const desiredFile = path.join(dir, 'desired.json');
    writeFileSync(liveFile, JSON.stringify(live));
    writeFileSync(desiredFile, JSON.stringify(desired));
    const { entries } = await createKubernetesSource(config({ file: liveFile, desired: { file: desiredFile } })).observe(context());
    assert.equal([...entries.keys()], ['ClusterIssuer/_cluster/letsencrypt', 'Pod/ci/job']);
    expectEntry(entries, 'ClusterIssuer/_cluster/letsencrypt', { actions: ['update'], before: desired[1], after: { ...desired[1], spec: { acme: { email: 'ops@example.test' } } } }, true);
    expectEntry(
      entries,
      'Pod/ci/job',
      { actions: ['update'], before: desired[2], after: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'job', namespace: 'ci' }, spec: { containers: [{ name: 'a', args: ['x'] }] } } },
      true,
    );
    // desired.namespace places unnamespaced rendered objects (helm template --namespace X leaves them without one).
    const placed = await createKubernetesSource(config({ file: liveFile, desired: { file: desiredFile, namespace: 'ci' } })).observe(context());
    assert.equal([...placed.entries.keys()], ['ClusterIssuer/_cluster/letsencrypt', 'Pod/ci/job', 'ServiceAccount/ci/builder']);
    expectEntry(placed.entries, 'ServiceAccount/ci/builder', { actions: ['create'], before: desired[0], after: null }, true);
  }));

test('Secret values never reach an entry: salted digests, equal for rendered stringData and live base64 data', () =>
  withTempDir('k8s-test', async (dir) => {
    const secret = (data: Record<string, string>, extra: object = {}) => ({ apiVersion: 'v1', kind: 'Secret', type: 'Opaque', metadata: { name: 'db', namespace: 'shop', uid: 'u1' }, data, ...extra });
    const liveFile = path.join(dir, 'live.json');
    const desiredFile = path.join(dir, 'desired.yaml');
    writeFileSync(liveFile, JSON.stringify({ kind: 'List', items: [secret({ password: Buffer.from('hunter2').toString('base64') })] }));
    writeFileSync(desiredFile, 'apiVersion: v1\nkind: Secret\ntype: Opaque\nmetadata: { name: db }\nstringData: { password: hunter2 }\n');
    const live = await createKubernetesSource(config({ file: liveFile })).observe(context());
    const stored = JSON.stringify([...live.entries]);
    assert.not.match(stored, /hunter2|aHVudGVyMg/);
    assert.match(stored, /"password":"\(secret, sha256 [0-9a-f]{16}\)"/);
    const inSync = await createKubernetesSource(config({ file: liveFile, desired: { file: desiredFile, namespace: 'shop' } })).observe(context());
    assert.equal([...inSync.entries.keys()], [], 'rendered stringData equals live data');
    writeFileSync(liveFile, JSON.stringify({ kind: 'List', items: [secret({ password: Buffer.from('hunter3').toString('base64') })] }));
    const drifted = await createKubernetesSource(config({ file: liveFile, desired: { file: desiredFile, namespace: 'shop' } })).observe(context());
    assert.equal([...drifted.entries.keys()], ['Secret/shop/db']);
    assert.not.match(JSON.stringify([...drifted.entries]), /hunter|aHVudGVy/);
    const changed = await createKubernetesSource(config({ file: liveFile })).observe(context());
    assert.is.not(changed.entries.get('Secret/shop/db')?.sha256, live.entries.get('Secret/shop/db')?.sha256, 'a changed value is drift');
  }));

test('kubectl and helm as real processes: live from kubectl get -o json, desired from a rendering command', () =>
  withTempDir('k8s-test', async (dir) => {
    const log = path.join(dir, 'kubectl.log');
    const live = spec([FAKE_KUBECTL, 'get', 'all', '-A', '-o', 'json']);
    const liveOnly = await createKubernetesSource(config({ process: live })).observe(context({ FAKE_KUBECTL_LOG: log }));
    assert.equal([...liveOnly.entries.keys()], LIVE_KEYS);
    expectEntry(liveOnly.entries, 'Deployment/shop/web', LIVE_DEPLOYMENT);
    assert.is(readFileSync(log, 'utf8'), 'get all -A -o json\n');

    const rendering = { ...spec(['cat', 'rendered.yaml']) };
    const drift = await createKubernetesSource(config({ process: live, desired: { process: rendering } })).observe(context());
    assertRenderedDrift(drift.entries);
  }));

test('a failing kubectl is SOURCE_FAILED with the tail of its stderr', async () => {
  const error = await driftFailure(createKubernetesSource(config({ process: spec([FAKE_KUBECTL, 'get', 'all', '-A', '-o', 'json']) })).observe(context({ FAKE_KUBECTL_MODE: 'fail' })));
  assert.is(error.code, 'SOURCE_FAILED');
  assert.is(error.data.source, 'cluster');
  assert.match(error.message, 'source "cluster": live objects');
  assert.match(error.message, 'exited with code 1');
  assert.match(error.message, 'The connection to the server 127.0.0.1:6443 was refused');
});

test('input forms: one object, a typed List, YAML; unreadable or malformed input is SOURCE_FAILED', () =>
  withTempDir('k8s-test', async (dir) => {
    const observeText = async (text: string, desired?: string): Promise<Map<string, ManifestEntry>> => {
      const file = path.join(dir, 'live.txt');
      writeFileSync(file, text);
      let desiredFile: string | undefined;
      if (desired !== undefined) {
        desiredFile = path.join(dir, 'desired.txt');
        writeFileSync(desiredFile, desired);
      }
      return (await createKubernetesSource(config({ file, desired: desiredFile ? { file: desiredFile } : undefined })).observe(context())).entries;
    };
    const failText = (text: string, desired?: string): Promise<DriftError> => driftFailure(observeText(text, desired));

    assert.equal([...(await observeText('{"apiVersion":"v1","kind":"Secret","metadata":{"name":"s","namespace":"a"},"type":"Opaque"}')).keys()], ['Secret/a/s']);
    assert.equal([...(await observeText('{"kind":"DeploymentList","apiVersion":"apps/v1","items":[{"metadata":{"name":"d","namespace":"n"}}]}')).keys()], ['Deployment/n/d']);
    assert.equal([...(await observeText('# comment only\n---\nkind: ConfigMap\napiVersion: v1\nmetadata: {name: c, namespace: n}\n---\n')).keys()], ['ConfigMap/n/c']);

    const notJson = await failText('{"items": [');
    assert.is(notJson.code, 'SOURCE_FAILED');
    assert.is(notJson.data.source, 'cluster');
    assert.match(notJson.message, 'live objects');
    assert.match(notJson.message, 'is not valid JSON');
    assert.match((await failText('{"kind":"List","items":[{"kind":"Pod","metadata":{}}]}')).message, 'the document item 1 (Pod) has no metadata.name');
    assert.match((await failText('{"kind":"List","items":[{"metadata":{"name":"x"}}]}')).message, 'has no kind');
    const badYaml = await failText('{"kind":"List","items":[]}', 'kind: ConfigMap\nmetadata: {name: c\n');
    assert.match(badYaml.message, 'desired objects');
    assert.match(badYaml.message, 'YAML document 1');
    const missing = await driftFailure(createKubernetesSource(config({ file: path.join(dir, 'none.json') })).observe(context()));
    assert.match(missing.message, 'cannot read live objects');
    assert.match(missing.message, 'ENOENT');
  }));

test.run();
