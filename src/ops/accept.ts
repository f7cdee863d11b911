import type { Config } from '../config/config.js';
import { DriftError } from '../errors.js';
import { loadAlerting, notify } from '../alerts/notify.js';
import { stageAcceptChange, type AcceptOptions, type AcceptResult } from '../session/accept-change.js';
import type { OpDeps } from '../session/deps.js';
import { singleTarget } from '../session/targets.js';
import { openWorkspace, withLock } from '../session/workspace.js';

export type { AcceptOptions, AcceptResult } from '../session/accept-change.js';

/**
 * Makes the latest snapshot (or the named entries of it) the new baseline of a target, in an
 * accept commit that records who and why. Naming a key that has no drift is an error.
 */
export async function accept(deps: OpDeps, options: AcceptOptions): Promise<AcceptResult> {
  const reason = options.reason?.trim();
  if (!reason) throw new DriftError('REASON_REQUIRED', 'accept needs --reason TEXT: the ledger records why the baseline changed', {});
  if (!options.all && options.keys.length === 0) throw new DriftError('KEYS_REQUIRED', 'name the entries to accept (accept KEY...), or accept everything with --all', {});
  if (options.all && options.keys.length > 0) throw new DriftError('KEYS_AND_ALL', 'give either KEY... or --all, not both', {});
  const ws = openWorkspace(deps, options);
  const targetConfig = singleTarget(ws.config, options.target);
  const target = targetConfig.name;
  const alerting = await loadAlerting(ws.config, deps);

  if (wantsPullRequest(ws.config, options)) {
    const { acceptViaPullRequest } = await import('./accept-pr.js');
    return acceptViaPullRequest(deps, options, { ws, targetConfig, alerting, reason });
  }

  return withLock(ws, deps, 'accept', async () => {
    const base = await ws.ledger.requireTip();
    const staged = await stageAcceptChange(ws, deps, { targetConfig, channels: alerting.channels, base, options, reason });
    if (!staged) return { target, status: 'nothing-to-accept', accepted: [], remaining: 0, resolvedAlerts: 0, deliveries: [], branch: ws.config.ledger.branch, tip: base };
    const { deliveries } = await notify(alerting, { ledger: ws.ledger, base, writer: staged.writer }, staged.notices, staged.time);
    const tip = (await staged.writer.publish()) as string;
    return { target, status: 'accepted', record: staged.record, accepted: staged.accepted, remaining: staged.remaining.length, resolvedAlerts: staged.resolvedAlerts, deliveries, branch: ws.config.ledger.branch, tip };
  });
}

/**
 * Pull requests are used with `--pr`, or by default when `github:` is configured; `--direct`
 * always commits the accept to the local ledger branch.
 */
export function wantsPullRequest(config: Config, options: Pick<AcceptOptions, 'pr' | 'direct'>): boolean {
  if (options.pr && options.direct) throw new DriftError('PR_AND_DIRECT', 'give either --pr or --direct, not both', {});
  if (options.direct) return false;
  return options.pr === true || config.github !== undefined;
}
