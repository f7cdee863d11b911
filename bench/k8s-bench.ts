/**
 * Kubernetes live-mode benchmark: is observing 2,000 live objects (Deployments with keyed lists:
 * containers, env, ports, volumes, volumeMounts) within 1.5x of a reference build?
 *
 *   npm run bench:k8s -- --reference /path/to/other/checkout [--objects 2000] [--runs 5]
 *
 * The reference is another checkout of driftctl, built (`npm run build`), for example main's
 * tree from `git archive main`. Both builds' kubernetes source observe the same deterministic
 * `kubectl get -o json` file in this process, alternating, `--runs` times each (after one
 * warm-up each). Prints the medians and the ratio this/reference against the target "<= 1.5x".
 * Without --reference it prints this build's figures only.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { prng } from './shared.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const TARGET_RATIO = 1.5;

interface Options {
  objects: number;
  runs: number;
  reference?: string;
}

function parseArgs(argv: string[]): Options {
  const options: Options = { objects: 2000, runs: 5 };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--objects') options.objects = Number(argv[++i]);
    else if (arg === '--runs') options.runs = Number(argv[++i]);
    else if (arg === '--reference') options.reference = path.resolve(argv[++i]);
    else {
      process.stderr.write(`k8s-bench: unknown argument "${arg}"\nusage: npm run bench:k8s -- [--reference DIR] [--objects 2000] [--runs 5]\n`);
      process.exit(1);
    }
  }
  if (!Number.isInteger(options.objects) || options.objects < 1 || !Number.isInteger(options.runs) || options.runs < 1) {
    process.stderr.write('k8s-bench: --objects and --runs take positive integers\n');
    process.exit(1);
  }
  return options;
}

/** A Deployment as `kubectl get -o json` returns it, with server metadata and status. */
function deployment(i: number, rand: () => number): object {
  const n = (max: number): number => Math.floor(rand() * max);
  const containers = Array.from({ length: 1 + n(3) }, (_, c) => ({
    name: `c${c}`,
    image: `registry.example.com/app${i % 50}:${n(100)}`,
    env: Array.from({ length: 3 + n(12) }, (_, e) => ({ name: `VAR_${(e * 7 + c) % 40}_${e}`, value: String(n(1000)) })),
    ports: [{ containerPort: 8080 + c, protocol: 'TCP', name: `p${c}` }],
    volumeMounts: [{ name: 'data', mountPath: `/data/${c}` }],
    resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '1', memory: '512Mi' } },
  }));
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: `app-${i}`,
      namespace: `ns-${i % 20}`,
      uid: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      resourceVersion: String(100000 + i),
      generation: 3,
      creationTimestamp: '2026-01-01T00:00:00Z',
      labels: { app: `app-${i}`, tier: i % 2 ? 'web' : 'worker' },
      annotations: { 'deployment.kubernetes.io/revision': '3' },
      managedFields: [{ manager: 'kubectl', operation: 'Update', fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:replicas': {} } } }],
    },
    spec: {
      replicas: 1 + n(5),
      selector: { matchLabels: { app: `app-${i}` } },
      template: {
        metadata: { labels: { app: `app-${i}` } },
        spec: { containers, volumes: [{ name: 'data', emptyDir: {} }], tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'apps', effect: 'NoSchedule' }] },
      },
    },
    status: { replicas: 1, readyReplicas: 1, observedGeneration: 3 },
  };
}

type Observe = () => Promise<unknown>;

async function loadObserve(root: string, file: string): Promise<Observe> {
  const module = (await import(pathToFileURL(path.join(root, 'dist', 'src', 'sources', 'kubernetes-source.js')).href)) as {
    createKubernetesSource: (config: object) => { observe: (context: object) => Promise<unknown> };
  };
  const source = module.createKubernetesSource({ kind: 'kubernetes', name: 'cluster', ignoreFields: [], file });
  const context = { cacheDir: os.tmpdir(), env: {}, now: new Date('2026-01-02T03:04:05Z') };
  return () => source.observe(context);
}

async function time(observe: Observe): Promise<number> {
  const start = performance.now();
  await observe();
  return performance.now() - start;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const dir = mkdtempSync(path.join(os.tmpdir(), 'driftctl-k8s-bench-'));
  try {
    const rand = prng(0x6b_38_73_01);
    const file = path.join(dir, 'live.json');
    writeFileSync(file, JSON.stringify({ apiVersion: 'v1', kind: 'List', items: Array.from({ length: options.objects }, (_, i) => deployment(i, rand)) }));
    const subject = await loadObserve(ROOT, file);
    const reference = options.reference ? await loadObserve(options.reference, file) : undefined;
    await subject();
    if (reference) await reference();
    const mine: number[] = [];
    const theirs: number[] = [];
    for (let run = 0; run < options.runs; run++) {
      mine.push(await time(subject));
      if (reference) theirs.push(await time(reference));
    }
    const show = (values: number[]): string => values.map((v) => v.toFixed(0)).join(', ');
    process.stdout.write(`k8s live mode, ${options.objects} Deployments, ${options.runs} runs\n`);
    process.stdout.write(`  this build:      ${show(mine)} ms (median ${median(mine).toFixed(0)} ms)\n`);
    if (reference) {
      process.stdout.write(`  reference build: ${show(theirs)} ms (median ${median(theirs).toFixed(0)} ms) [${options.reference}]\n`);
      const ratio = median(mine) / median(theirs);
      process.stdout.write(`  ratio this/reference: ${ratio.toFixed(2)}x (target <= ${TARGET_RATIO}x: ${ratio <= TARGET_RATIO ? 'met' : 'NOT met'})\n`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
