import { summarize, type Change } from '../drift/report.js';
import type { TemplateName } from './template-env.js';
import { alertView, changeView, summaryView, type AlertNotice, type DigestView, type PullRequestView } from './views.js';
import { TOOL_NAME, TOOL_VERSION } from '../version.js';
import { diffTexts } from '../drift/content-diff.js';
import type { Attribution } from '../drift/attribution.js';

/**
 * Sample views every template is rendered with when the config loads, so that a template using an
 * unknown field or helper fails at load time, naming its file, not in the middle of a check.
 * The samples hold awkward text on purpose: quotes, backslashes, newlines, <>&, emoji.
 */
const NOW = '2026-01-02T03:04:05.000Z';
const SAMPLE_CHANGES: Change[] = [
  {
    source: 'files',
    key: 'config/"models" \\ <prod> & co 🚀.yaml',
    change: 'changed',
    severity: 'high',
    rule: 'config/**',
    before: { type: 'file', sha256: 'a'.repeat(64), size: 10, mode: '644' },
    after: { type: 'file', sha256: 'b'.repeat(64), size: 12, mode: '644' },
    fields: [
      { path: '/models/primary/name', change: 'changed', before: 'gpt-4o', after: 'gpt-4.1 "quoted" <b>', severity: 'high', rule: 'config/**' },
      { path: '/node_pools/2', change: 'added', after: { name: 'gpu\nline' }, severity: 'high', rule: 'config/**' },
    ],
  },
  { source: 'files', key: 'prompts/line\nbreak.txt', change: 'added', severity: 'medium', rule: 'default', after: { type: 'file', sha256: 'c'.repeat(64), size: 3, mode: '644' } },
];

const SAMPLE_ATTRIBUTION: Attribution = { state: 'committed', commits: [{ oid: '1'.repeat(40), author: 'Ann "Ops"', email: 'ann@example.test', time: NOW, subject: 'tune <models> & "prompts"' }] };
const SAMPLE_DIFF = diffTexts('config/models.yaml', 'name: gpt-4o\ntemperature: 0.2\n', 'name: "gpt-4.1" <b>\ntemperature: 0.2\n```\n');

export function sampleNotice(event: AlertNotice['event']): AlertNotice {
  return {
    event,
    time: NOW,
    alertId: '20260102T030405000Z-abcdef',
    fingerprint: '0123456789abcdef',
    alertClass: 'drift',
    target: 'web',
    labels: { env: 'prod' },
    source: 'files',
    severity: 'high',
    openedAt: NOW,
    changes: event === 'resolved' ? [] : SAMPLE_CHANGES,
    reportId: '20260102T030405000Z-123456',
    reportLink: 'https://example.test/ledger/report?x=1&y=<2>',
    reason: event === 'resolved' ? 'accepted' : null,
    diffs: new Map([[`${SAMPLE_CHANGES[0].source}\u0000${SAMPLE_CHANGES[0].key}`, SAMPLE_DIFF]]),
  };
}

export function sampleDigest(): DigestView {
  const alert = { id: '20260102T030405000Z-abcdef', target: 'web', source: 'files', class: 'drift', severity: 'high' as const, openedAt: NOW, changes: 2 };
  return {
    now: NOW,
    since: '2026-01-01T03:04:05.000Z',
    title: 'Drift digest: last 24h',
    counts: { opened: 1, resolved: 1, open: 1, accepts: 1, checks: 3, drifted: 1 },
    bySeverity: summaryView(summarize(SAMPLE_CHANGES)).bySeverity,
    opened: [alert],
    open: [alert],
    resolved: [alert],
    accepts: [{ target: 'web', by: 'Ann "Ops" <ann@example.test>', reason: 'approved\nin review', time: NOW, changes: 2 }],
    expiringWaivers: [{ target: 'web', id: '20260102T030405000Z-fedcba', keys: ['config/app.yaml'], until: NOW, by: 'Ann <ann@example.test>', reason: 'trial\nuntil Friday' }],
    topChanges: SAMPLE_CHANGES.map((c) => ({ ...changeView(c), target: 'web' })),
    more: 0,
    targets: [{ name: 'web', status: 'drift', highest: 'high', lastCheck: NOW }],
    tool: { name: TOOL_NAME, version: TOOL_VERSION },
  };
}

export function samplePullRequest(): PullRequestView {
  return {
    now: NOW,
    target: 'web',
    by: 'Ann <ann@example.test>',
    reason: 'approved in review',
    changes: SAMPLE_CHANGES.map((c, i) => changeView(i === 0 ? { ...c, attribution: SAMPLE_ATTRIBUTION } : c, i === 0 ? SAMPLE_DIFF : undefined)),
    summary: summaryView(summarize(SAMPLE_CHANGES)),
    report: { id: '20260102T030405000Z-123456', link: null },
    tool: { name: TOOL_NAME, version: TOOL_VERSION },
  };
}

export function templateSamples(): Partial<Record<TemplateName, object>> {
  return {
    console: alertView(sampleNotice('opened'), NOW),
    file: alertView(sampleNotice('resolved'), NOW),
    slack: alertView(sampleNotice('opened'), NOW),
    webhook: alertView(sampleNotice('updated'), NOW),
    'digest-console': sampleDigest(),
    'digest-slack': sampleDigest(),
    'pr-body': samplePullRequest(),
    'email-subject': alertView(sampleNotice('opened'), NOW),
    'email.txt': alertView(sampleNotice('updated'), NOW),
    'email.html': alertView(sampleNotice('opened'), NOW),
    'digest-email.txt': sampleDigest(),
    'digest-email.html': sampleDigest(),
    sms: alertView(sampleNotice('opened'), NOW),
    pagerduty: alertView(sampleNotice('opened'), NOW),
  };
}
