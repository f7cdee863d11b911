import { channelWants, type Channel, type DeliveryContext, type Payload } from '../channels/channel.js';
import { isDriftError, messageOf } from '../errors.js';
import { DEFAULT_OUTBOX_MAX_AGE_MS, DEFAULT_OUTBOX_MAX_ATTEMPTS } from '../config/config.js';
import { deadPath, newRecordId, outboxPath } from '../ledger/layout.js';
import type { Edit, Ledger, LedgerWriter } from '../ledger/ledger.js';
import { readOutbox } from '../ledger/reader.js';
import { encodeRecord, type DeadRecord, type OutboxEntry } from '../ledger/records.js';
import type { TemplateEnv } from '../render/template-env.js';
import type { AlertNotice } from '../render/views.js';

/**
 * Delivering notifications: rendering notices per channel, and sending them through the outbox
 * (what cannot be delivered is committed under `outbox/` and retried by the next run; what is
 * delivered is removed in the same commit that records the run).
 */

/**
 * Renders each notice for every channel that wants it. A template that fails on this particular
 * notice (templates were already checked against samples at load) costs that message only, never
 * the run's report: it comes back as an `unrendered` outcome.
 */
export function renderNotices(channels: Channel[], templates: TemplateEnv, notices: AlertNotice[], now: string): { payloads: Payload[]; failures: DeliveryOutcome[] } {
  const payloads: Payload[] = [];
  const failures: DeliveryOutcome[] = [];
  for (const notice of notices) {
    for (const channel of channels) {
      if (!(notice.channels ? notice.channels.includes(channel.config.name) : channelWants(channel.config, notice))) continue;
      try {
        payloads.push(...[channel.renderAlert(notice, templates, now)].flat());
      } catch (error) {
        failures.push({ channel: channel.config.name, subject: `${notice.event} ${notice.alertId}`, status: 'unrendered', error: messageOf(error), retried: false });
      }
    }
  }
  return { payloads, failures };
}

export interface DeliveryOutcome {
  channel: string;
  subject: string;
  /**
   * unrendered: its template failed on this notice, so there was nothing to send or keep.
   * abandoned: out of its retry budget (or dropped): removed from the outbox and recorded under dead/.
   */
  status: 'delivered' | 'queued' | 'kept' | 'unrendered' | 'abandoned';
  error: string | null;
  /** True when this delivery came from the outbox of an earlier run. */
  retried: boolean;
  /** Outbox id of a queued, kept or abandoned entry. */
  id?: string;
  /** Failed deliveries so far and the budget, for queued, kept and abandoned entries. */
  attempts?: number;
  maxAttempts?: number;
  /** For an abandoned entry: why (attempts, age or dropped) and its dead record id. */
  reason?: DeadRecord['reason'];
  dead?: string;
}

/** Retry budget of outbox entries (alerts.outbox). */
export interface OutboxBudget {
  maxAttempts: number;
  maxAgeMs: number;
}

export const DEFAULT_OUTBOX_BUDGET: OutboxBudget = { maxAttempts: DEFAULT_OUTBOX_MAX_ATTEMPTS, maxAgeMs: DEFAULT_OUTBOX_MAX_AGE_MS };

/** Stages the removal of an outbox entry and its dead record; returns the dead record's id. */
export function abandonEdits(entry: OutboxEntry, reason: DeadRecord['reason'], by: string, now: Date): { edits: Edit[]; id: string } {
  const record: DeadRecord = { format: 1, kind: 'dead', id: newRecordId(now), time: now.toISOString(), reason, by, entry };
  return { id: record.id, edits: [{ path: outboxPath(entry.id), remove: true }, { path: deadPath(record.id), blob: encodeRecord('dead', record) }] };
}

/**
 * Delivers the outbox of `base` and then the new payloads, and stages one `outbox` commit if the
 * outbox changed. Each entry has a retry budget: it is abandoned (removed, and recorded whole under
 * `dead/`) after `maxAttempts` failed deliveries, or once older than `maxAgeMs`. An entry whose
 * channel is no longer configured is not attempted (another machine sharing the ledger may still
 * have that channel) and is abandoned by age.
 */
export async function deliverWithOutbox(
  ledger: Ledger,
  base: string | undefined,
  writer: LedgerWriter,
  channels: Channel[],
  payloads: Payload[],
  context: DeliveryContext,
  now: Date,
  budget: OutboxBudget = DEFAULT_OUTBOX_BUDGET,
): Promise<DeliveryOutcome[]> {
  const outcomes: DeliveryOutcome[] = [];
  const edits: Edit[] = [];
  const byName = new Map(channels.map((c) => [c.config.name, c]));
  const tooOld = (entry: OutboxEntry): boolean => now.getTime() - Date.parse(entry.created) >= budget.maxAgeMs;
  const settle = (entry: OutboxEntry, error: string, retried: boolean, status: 'queued' | 'kept'): void => {
    const reason = entry.attempts >= budget.maxAttempts ? 'attempts' : tooOld(entry) ? 'age' : undefined;
    const base = { channel: entry.channel, subject: entry.subject, error, retried, id: entry.id, attempts: entry.attempts, maxAttempts: budget.maxAttempts };
    if (reason) {
      const dead = abandonEdits(entry, reason, 'driftctl', now);
      edits.push(...(retried ? dead.edits : dead.edits.slice(1)));
      outcomes.push({ ...base, status: 'abandoned', reason, dead: dead.id });
    } else {
      edits.push({ path: outboxPath(entry.id), blob: encodeRecord('outbox', entry) });
      outcomes.push({ ...base, status });
    }
  };
  for (const entry of await readOutbox(ledger, base)) {
    const channel = byName.get(entry.channel);
    if (!channel) {
      const error = `channel "${entry.channel}" is no longer configured`;
      if (tooOld(entry)) settle(entry, error, true, 'kept');
      else outcomes.push({ channel: entry.channel, subject: entry.subject, status: 'kept', error, retried: true, id: entry.id, attempts: entry.attempts, maxAttempts: budget.maxAttempts });
      continue;
    }
    const error = await tryDeliver(channel, { channel: entry.channel, kind: entry.channelKind, subject: entry.subject, body: entry.body, ...(entry.text !== undefined ? { text: entry.text } : {}) }, context);
    if (error === null) {
      edits.push({ path: outboxPath(entry.id), remove: true });
      outcomes.push({ channel: entry.channel, subject: entry.subject, status: 'delivered', error: null, retried: true });
    } else {
      settle({ ...entry, attempts: entry.attempts + 1, lastError: error }, error, true, 'kept');
    }
  }
  for (const payload of payloads) {
    const channel = byName.get(payload.channel) as Channel;
    const error = await tryDeliver(channel, payload, context);
    if (error === null) {
      outcomes.push({ channel: payload.channel, subject: payload.subject, status: 'delivered', error: null, retried: false });
      continue;
    }
    settle(outboxEntry(payload, now, 1, error), error, false, 'queued');
  }
  if (edits.length > 0) await writer.commit(edits, outboxSubject(outcomes), { 'Drift-Kind': 'outbox' });
  return outcomes;
}

export function outboxSubject(outcomes: readonly DeliveryOutcome[]): string {
  const delivered = outcomes.filter((o) => o.status === 'delivered').length;
  const abandoned = outcomes.filter((o) => o.status === 'abandoned').length;
  const waiting = outcomes.length - delivered - abandoned;
  return `outbox: ${delivered} delivered, ${waiting} waiting${abandoned > 0 ? `, ${abandoned} abandoned` : ''}`;
}

export async function tryDeliver(channel: Channel, payload: Payload, context: DeliveryContext): Promise<string | null> {
  try {
    await channel.deliver(payload, context);
    return null;
  } catch (error) {
    return `${channel.config.kind} channel "${channel.config.name}": ${isDriftError(error) ? error.message : messageOf(error)}`;
  }
}

/** A payload as an outbox entry, to be delivered by a later run. */
export function outboxEntry(payload: Payload, now: Date, attempts: number, lastError: string): OutboxEntry {
  return {
    format: 1,
    kind: 'outbox',
    id: `${newRecordId(now)}-${payload.channel}`,
    channel: payload.channel,
    channelKind: payload.kind,
    subject: payload.subject,
    body: payload.body,
    ...(payload.text !== undefined ? { text: payload.text } : {}),
    created: now.toISOString(),
    attempts,
    lastError,
  };
}
