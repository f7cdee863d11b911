import type { ConfigOption, OpDeps } from '../session/deps.js';
import { readHead } from '../ledger/reader.js';
import { openWorkspace } from '../session/workspace.js';

export interface StatusResult {
  configFile: string;
  ledger: { gitdir: string; branch: string; tip: string | null; initialized: boolean };
  targets: {
    name: string;
    enabled: boolean;
    labels: Record<string, string>;
    sources: { name: string; kind: string }[];
    entries: number | null;
    lastSnapshot: { id: string; time: string } | null;
    baseline: { accept: string; time: string; by: string; ageSeconds: number } | null;
    lastVerdict: { id: string; time: string; status: 'clean' | 'drift'; highest: string; total: number } | null;
  }[];
}

/** Config summary, targets, watched entries, ledger tip, baseline age and last verdict. Read-only. */
export async function status(deps: OpDeps, options: ConfigOption): Promise<StatusResult> {
  const ws = openWorkspace(deps, options);
  const tip = await ws.ledger.tip();
  const now = deps.now().getTime();
  const targets: StatusResult['targets'] = [];
  for (const target of ws.config.targets) {
    const head = await readHead(ws.ledger, tip, target.name);
    targets.push({
      name: target.name,
      enabled: target.enabled,
      labels: target.labels,
      sources: target.sources.map((s) => ({ name: s.name, kind: s.kind })),
      entries: head.snapshot?.entries ?? null,
      lastSnapshot: head.snapshot ? { id: head.snapshot.id, time: head.snapshot.time } : null,
      baseline: head.baseline
        ? { accept: head.baseline.accept, time: head.baseline.time, by: head.baseline.by, ageSeconds: Math.max(0, Math.round((now - Date.parse(head.baseline.time)) / 1000)) }
        : null,
      lastVerdict: head.report,
    });
  }
  return {
    configFile: ws.config.file,
    ledger: { gitdir: ws.store.gitdir, branch: ws.config.ledger.branch, tip: tip ?? null, initialized: tip !== undefined },
    targets,
  };
}
