import { createHash } from 'node:crypto';

/**
 * Redaction of captured text before it is stored in the ledger (see README "Captured content").
 * Every secret found is replaced in place by a marker `[REDACTED:<kind>:<digest>]`; the rest of
 * its line is kept, and `<digest>` is the first 8 hex digits of the secret's sha256, so a changed
 * secret still shows as a changed line while the secret itself never reaches the ledger.
 *
 * Pure: no IO. Patterns are tried on the whole text; overlapping findings keep the earliest (and
 * then the longest) one, so one secret is never replaced twice.
 */
export interface RedactionPattern {
  kind: string;
  /** Compiled with the `g` and `d` flags. A group named `secret` (or else group 1) is what is replaced; without groups, the whole match. */
  regex: RegExp;
}

export interface RedactionResult {
  text: string;
  /** How many secrets were replaced. */
  count: number;
}

const ASSIGNED_NAME = String.raw`[A-Za-z0-9_.-]*(?:password|passwd|passphrase|pwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|client[_-]?secret|credentials?)[A-Za-z0-9_.-]*`;

/** Built-in patterns for common credentials. */
export const BUILTIN_REDACTIONS: readonly RedactionPattern[] = [
  // The body of a PEM private key block (the BEGIN/END lines stay, so the block is still recognisable).
  { kind: 'private-key', regex: /-----BEGIN [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----\r?\n(?<secret>[\s\S]*?)\r?\n?-----END [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----/dg },
  { kind: 'aws-access-key', regex: /\b(?<secret>(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[0-9A-Z]{16})\b/dg },
  { kind: 'github-token', regex: /\b(?<secret>(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255}))\b/dg },
  { kind: 'slack-token', regex: /\b(?<secret>xox[abposre]-[A-Za-z0-9-]{10,})/dg },
  { kind: 'slack-webhook', regex: /(?<secret>https:\/\/hooks\.slack\.com\/(?:services|workflows)\/[A-Za-z0-9_/-]+)/dg },
  { kind: 'google-api-key', regex: /\b(?<secret>AIza[0-9A-Za-z_-]{35})\b/dg },
  // Credentials in URLs: scheme://user:secret@host
  { kind: 'url-password', regex: /\b[a-z][a-z0-9+.-]*:\/\/[^\s:@/]+:(?<secret>[^\s@/]+)@/dgi },
  // `password: x`, `DB_PASSWORD=x`, `"api_key": "x"`, `token = 'x'`: the value only.
  {
    kind: 'assignment',
    regex: new RegExp(String.raw`(?:^|[\s{,;(])["']?${ASSIGNED_NAME}["']?\s*(?::|=|:=)\s*(?:"(?<dq>[^"\r\n]+)"|'(?<sq>[^'\r\n]+)'|(?<secret>[^\s"',;#}{\[\]][^\s"',;}]*))`, 'dgim'),
  },
];

const NOT_A_SECRET = /^(?:-?\d+(?:\.\d+)?|true|false|null|none|nil|~|\$\{?[A-Za-z_][A-Za-z0-9_]*\}?|\{\{.*\}\}|\[REDACTED:[^\]]*\])$/i;

/** Compiles a user `redact:` pattern; throws the RegExp syntax error. */
export function compileRedaction(source: string, kind = 'pattern'): RedactionPattern {
  return { kind, regex: new RegExp(source, 'dgm') };
}

interface Finding {
  start: number;
  end: number;
  kind: string;
}

/** Replaces every secret `patterns` find (the built-in ones first, then `extra`). */
export function redact(text: string, extra: readonly RedactionPattern[] = []): RedactionResult {
  const findings: Finding[] = [];
  for (const { kind, regex } of [...BUILTIN_REDACTIONS, ...extra]) {
    const re = new RegExp(regex.source, regex.flags.includes('d') ? regex.flags : `${regex.flags}d`);
    re.lastIndex = 0;
    for (let m = re.exec(text); m !== null; m = re.exec(text)) {
      if (m[0] === '') {
        re.lastIndex++;
        continue;
      }
      const span = secretSpan(m);
      if (!span || span[1] <= span[0]) continue;
      // `max_tokens: 4096`, `password: ${DB_PASSWORD}`: numbers, booleans and references are not secrets.
      if (kind === 'assignment' && NOT_A_SECRET.test(text.slice(span[0], span[1]))) continue;
      findings.push({ start: span[0], end: span[1], kind });
    }
  }
  findings.sort((a, b) => a.start - b.start || b.end - a.end);
  let out = '';
  let at = 0;
  let count = 0;
  for (const finding of findings) {
    if (finding.start < at) continue; // overlaps a secret already replaced
    const secret = text.slice(finding.start, finding.end);
    out += `${text.slice(at, finding.start)}${marker(finding.kind, secret)}`;
    at = finding.end;
    count++;
  }
  return { text: count === 0 ? text : out + text.slice(at), count };
}

export function marker(kind: string, secret: string): string {
  return `[REDACTED:${kind}:${createHash('sha256').update(secret).digest('hex').slice(0, 8)}]`;
}

/** The span to replace: the named groups secret/dq/sq, else group 1, else the whole match. */
function secretSpan(m: RegExpExecArray): [number, number] | undefined {
  const indices = m.indices;
  if (!indices) return undefined;
  const named = indices.groups;
  if (named) {
    for (const name of ['secret', 'dq', 'sq']) {
      const span = named[name];
      if (span) return span;
    }
    if ('secret' in named || 'dq' in named) return undefined;
  }
  if (indices.length > 1) return indices[1] ?? undefined;
  return indices[0];
}

/** Keys whose scalar value is a secret in structured content (`password`, `apiKey`, `client_secret`, …). */
const SECRET_KEY = /(?:password|passwd|passphrase|pwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credentials?)$/i;

/**
 * Structured content with secrets replaced by markers: a string or number under a secret-looking
 * key (not a boolean, a null or a `${VAR}` reference), and every secret the text patterns find in
 * any other string. Pure; returns the input itself when nothing was replaced.
 */
export function redactJson<T>(value: T, extra: readonly RedactionPattern[] = []): { value: T; count: number } {
  let count = 0;
  const walk = (node: unknown, key: string | undefined): unknown => {
    if (typeof node === 'string') {
      if (key !== undefined && SECRET_KEY.test(key) && !NOT_A_SECRET.test(node) && node !== '') {
        count++;
        return marker('assignment', node);
      }
      const found = redact(node, extra);
      count += found.count;
      return found.count > 0 ? found.text : node;
    }
    if (typeof node === 'number' && key !== undefined && SECRET_KEY.test(key) && !/(?:^|_)(?:max|min|count|len|length|limit)|tokens$/i.test(key)) {
      count++;
      return marker('assignment', String(node));
    }
    if (Array.isArray(node)) {
      const out = node.map((item) => walk(item, key));
      return out.some((item, i) => item !== node[i]) ? out : node;
    }
    if (node !== null && typeof node === 'object' && Object.getPrototypeOf(node) === Object.prototype) {
      let changed = false;
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(node)) {
        out[k] = walk(v, k);
        if (out[k] !== v) changed = true;
      }
      return changed ? out : node;
    }
    return node;
  };
  const result = walk(value, undefined) as T;
  return { value: result, count };
}
