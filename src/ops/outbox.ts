import { abandonEdits, outboxSubject, tryDeliver, type DeliveryOutcome } from '../alerts/delivery.js';
import { loadAlerting } from '../alerts/notify.js';
import { DriftError } from '../errors.js';
import { outboxPath } from '../ledger/layout.js';
import { readOutbox } from '../ledger/reader.js';
import { encodeRecord, personLine, type OutboxEntry } from '../ledger/records.js';
import { resolveActor, signatureAt } from '../session/actor.js';
import type { ConfigOption, OpDeps } from '../session/deps.js';
import { openWorkspace, withLock } from '../session/workspace.js';

export interface OutboxOptions extends ConfigOption {
  /** Abandon this entry now: removed, and recorded under dead/ as dropped by the actor. */
  drop?: string;
  /** Try to deliver this entry now, whatever its budget. */
  retry?: string;
}

export interface OutboxListEntry {
  id: string;
  channel: string;
  subject: string;
  created: string;
  attempts: number;
  lastError: string;
  /** Failed deliveries after which it is abandoned, and when it is abandoned by age. */
  maxAttempts: number;
  expires: string;
}

export interface OutboxResult {
  action: 'list' | 'drop' | 'retry';
  entries: OutboxListEntry[];
  outcome: DeliveryOutcome | null;
  tip: string;
}

/**
 * `alerts outbox`: lists the waiting notifications with their retry budget; `--drop ID` abandons
 * one (recorded whole under dead/, so nothing is lost silently); `--retry ID` delivers one now.
 * An unknown id is OUTBOX_ENTRY_NOT_FOUND, naming the ids that exist.
 */
export async function outbox(deps: OpDeps, options: OutboxOptions): Promise<OutboxResult> {
  if (options.drop && options.retry) throw new DriftError('USAGE', 'give --drop or --retry, not both', {});
  const ws = openWorkspace(deps, options);
  const budget = ws.config.alerts.outbox;
  const list = (entries: OutboxEntry[]): OutboxListEntry[] =>
    entries.map((e) => ({
      id: e.id,
      channel: e.channel,
      subject: e.subject,
      created: e.created,
      attempts: e.attempts,
      lastError: e.lastError,
      maxAttempts: budget.maxAttempts,
      expires: new Date(Date.parse(e.created) + budget.maxAgeMs).toISOString(),
    }));
  const id = options.drop ?? options.retry;
  if (!id) {
    const tip = await ws.ledger.requireTip();
    return { action: 'list', entries: list(await readOutbox(ws.ledger, tip)), outcome: null, tip };
  }
  const alerting = options.retry ? await loadAlerting(ws.config, deps) : undefined;
  return withLock(ws, deps, 'outbox', async () => {
    const base = await ws.ledger.requireTip();
    const entries = await readOutbox(ws.ledger, base);
    const entry = entries.find((e) => e.id === id);
    if (!entry) {
      throw new DriftError('OUTBOX_ENTRY_NOT_FOUND', `no outbox entry "${id}" (${entries.length > 0 ? `waiting: ${entries.map((e) => e.id).join(', ')}` : 'the outbox is empty'})`, { data: { id } });
    }
    const now = deps.now();
    const actor = await resolveActor(ws, deps);
    const writer = ws.ledger.writer(base, signatureAt(actor, now));
    const common = { channel: entry.channel, subject: entry.subject, retried: true, id: entry.id, maxAttempts: budget.maxAttempts };
    let outcome: DeliveryOutcome;
    if (options.drop) {
      const dead = abandonEdits(entry, 'dropped', personLine(actor), now);
      outcome = { ...common, status: 'abandoned', error: entry.lastError, attempts: entry.attempts, reason: 'dropped', dead: dead.id };
      await writer.commit(dead.edits, outboxSubject([outcome]), { 'Drift-Kind': 'outbox' });
    } else {
      const channel = alerting?.channels.find((c) => c.config.name === entry.channel);
      if (!channel) {
        throw new DriftError('UNKNOWN_CHANNEL', `outbox entry "${id}" is for channel "${entry.channel}", which is not configured here (drop it with --drop ${id})`, { data: { id, channel: entry.channel } });
      }
      const payload = { channel: entry.channel, kind: entry.channelKind, subject: entry.subject, body: entry.body, ...(entry.text !== undefined ? { text: entry.text } : {}) };
      const error = await tryDeliver(channel, payload, (alerting as NonNullable<typeof alerting>).delivery);
      if (error === null) {
        outcome = { ...common, status: 'delivered', error: null };
        await writer.commit([{ path: outboxPath(entry.id), remove: true }], outboxSubject([outcome]), { 'Drift-Kind': 'outbox' });
      } else {
        const kept: OutboxEntry = { ...entry, attempts: entry.attempts + 1, lastError: error };
        outcome = { ...common, status: 'kept', error, attempts: kept.attempts };
        await writer.commit([{ path: outboxPath(entry.id), blob: encodeRecord('outbox', kept) }], outboxSubject([outcome]), { 'Drift-Kind': 'outbox' });
      }
    }
    const tip = (await writer.publish()) as string;
    return { action: options.drop ? 'drop' : 'retry', entries: list(await readOutbox(ws.ledger, tip)), outcome, tip };
  });
}
