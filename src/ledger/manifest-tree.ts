import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { canonicalJson } from '../drift/canonical-json.js';
import { parseJsonKeepingIntegers } from '../drift/exact-json.js';
import { encodeTree, objectId, type GitObjectType, type TreeEntry } from './git-objects.js';
import { sameEntry, type ManifestEntry, type SourceManifest, type TargetManifest } from '../drift/manifest.js';
import { writeFileAtomic } from '../write-atomic.js';

/**
 * The sharded manifest layout (see ledger/FORMAT.md). A target's manifest is a git tree with one
 * subtree per source; below it, the directory structure of the entry keys is mirrored as nested
 * trees, and the entries that live directly in a directory are one canonical JSON blob, the shard
 * `@.json` (split into `@xx.json` buckets when a directory holds more than SHARD_LIMIT entries).
 * A directory whose name starts with "@" is stored with one more "@" in front.
 *
 * Unchanged directories keep their object ids, so a snapshot in which k entries changed adds
 * O(k · depth) objects, and a diff descends only into subtrees whose ids differ.
 */
export const SHARD_LIMIT = 1000;

export interface GitObject {
  type: GitObjectType;
  content: Buffer;
}

export interface BuiltManifest {
  /** Id of the target manifest tree (children: one tree per source). */
  oid: string;
  /** Every object of the manifest, new or not, by id. */
  objects: Map<string, GitObject>;
}

interface DirNode {
  entries: Map<string, ManifestEntry>;
  dirs: Map<string, DirNode>;
}

export interface ShardDocument {
  entries: Record<string, ManifestEntry>;
}

/**
 * Shard blob ids by a fingerprint of the shard's entries, kept between runs (outside the ledger) so
 * that a snapshot re-encodes only the shards whose entries changed. The fingerprint is cheaper to
 * compute than the canonical JSON; a hit yields the same id the encoding would, and the bytes are
 * produced only if something asks for them (a store that lacks the object, a diff that reads it).
 */
export class ShardMemo {
  private readonly known: Map<string, string>;
  /** The fingerprints used by the last build, which is what `save` keeps. */
  private readonly used = new Map<string, string>();

  constructor(known: Map<string, string> = new Map()) {
    this.known = known;
  }

  /** The file this memo was loaded from intact (nothing was discarded), if any. */
  private loadedFrom: string | undefined;

  /**
   * Loads a memo file; a missing or older one is empty, and so is a damaged one (failing its
   * checksum: a wrong object id would name a shard by bytes it does not have), with a warning.
   */
  static load(file: string, warn?: (message: string) => void): ShardMemo {
    const known = new Map<string, string>();
    let text: string | undefined;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      // No memo yet: every shard is encoded.
    }
    if (text?.startsWith(`${MEMO_HEADER}\n`)) {
      const body = checkedBody(text);
      const lines = body?.split('\n') ?? [];
      for (let i = 1; i < lines.length; i++) {
        const line = lines[i];
        if (line.length === 81 && line[40] === ' ' && /^[0-9a-f]{40} [0-9a-f]{40}$/.test(line)) known.set(line.slice(0, 40), line.slice(41));
        else if (line !== '') {
          known.clear();
          break;
        }
      }
      if (body === undefined || (known.size === 0 && lines.length > 2)) warn?.(`shard memo ${file} is damaged (checksum mismatch): discarded, every shard is encoded again`);
      else {
        const memo = new ShardMemo(known);
        memo.loadedFrom = file;
        return memo;
      }
    }
    return new ShardMemo(known);
  }

  lookup(fingerprint: string): string | undefined {
    const oid = this.known.get(fingerprint);
    if (oid !== undefined) this.used.set(fingerprint, oid);
    return oid;
  }

  remember(fingerprint: string, oid: string): void {
    this.used.set(fingerprint, oid);
  }

  /** Atomically replaces the memo file with the shards of the last build (unless it already holds exactly those). */
  save(file: string): void {
    if (this.loadedFrom === file && this.used.size === this.known.size && [...this.used].every(([fingerprint, oid]) => this.known.get(fingerprint) === oid)) return;
    const lines = [MEMO_HEADER];
    for (const [fingerprint, oid] of this.used) lines.push(`${fingerprint} ${oid}`);
    writeFileAtomic(file, withChecksum(`${lines.join('\n')}\n`));
  }
}

/** Changing how shards are encoded (or fingerprinted) must change this header, voiding old memos. */
const MEMO_HEADER = 'driftctl-shard-memo 2';

/**
 * Local text caches end with a line `checksum <sha256 of everything before it>`: `withChecksum`
 * appends it, `checkedBody` returns the text before it when it matches, else undefined.
 */
export function withChecksum(text: string): string {
  return `${text}checksum ${createHash('sha256').update(text).digest('hex')}\n`;
}

export function checkedBody(text: string): string | undefined {
  const at = text.lastIndexOf('checksum ', text.length - 2);
  if (at < 0 || (at > 0 && text[at - 1] !== '\n')) return undefined;
  const body = text.slice(0, at);
  return text.slice(at) === `checksum ${createHash('sha256').update(body).digest('hex')}\n` ? body : undefined;
}

/**
 * Builds every tree and shard object of a target manifest in memory (pure apart from `memo`;
 * nothing is written). Each directory tree also holds the captured content its entries name
 * (`blob`), as blobs named `@blob.<oid>` (see contentBlobName), so the content is reachable from
 * every commit holding the manifest; `blobs` gives the bytes of those that may be new (others must
 * already be in the store, as when an accept rebuilds a manifest from stored entries).
 */
export function buildManifest(manifest: TargetManifest, memo?: ShardMemo, blobs?: ReadonlyMap<string, Buffer>): BuiltManifest {
  const objects = new Map<string, GitObject>();
  const put = (type: GitObjectType, content: Buffer): string => {
    const oid = objectId(type, content);
    objects.set(oid, { type, content });
    return oid;
  };
  const putShard = (entries: Map<string, ManifestEntry>): string => {
    const fingerprint = memo ? shardFingerprint(entries) : undefined;
    if (memo && fingerprint !== undefined) {
      const oid = memo.lookup(fingerprint);
      if (oid !== undefined) {
        if (!objects.has(oid)) objects.set(oid, lazyShard(entries));
        return oid;
      }
    }
    const oid = put('blob', Buffer.from(encodeShard(entries)));
    if (memo && fingerprint !== undefined) memo.remember(fingerprint, oid);
    return oid;
  };
  const sourceEntries: TreeEntry[] = [];
  for (const [source, entries] of [...manifest].sort(([a], [b]) => (a < b ? -1 : 1))) {
    sourceEntries.push({ mode: '040000', name: source, oid: writeDir(toTree(entries), put, putShard, blobs, objects) });
  }
  const oid = put('tree', encodeTree(sourceEntries));
  return { oid, objects };
}

/** A shard object whose bytes are encoded on first use. */
function lazyShard(entries: Map<string, ManifestEntry>): GitObject {
  let content: Buffer | undefined;
  return {
    type: 'blob',
    get content(): Buffer {
      content ??= Buffer.from(encodeShard(entries));
      return content;
    },
  };
}

/**
 * sha1 over an unambiguous listing of every entry field (length-prefixed strings), in the
 * shard's key order (structured `content` and group `files` stand in through `sha256`, their
 * hash); undefined for an entry with anything else.
 */
function shardFingerprint(entries: Map<string, ManifestEntry>): string | undefined {
  const hash = createHash('sha1');
  let chunk = '';
  for (const [name, entry] of entries) {
    if (entry === null || typeof entry !== 'object') return undefined;
    let line = `${name.length}:${name}`;
    let known = 0;
    for (const field of ENTRY_FIELDS) {
      const value = entry[field];
      if (value === undefined) line += '|';
      else if (typeof value === 'string') line += `|s${value.length}:${value}`;
      else if (typeof value === 'number' && Number.isFinite(value)) line += `|n${value}`;
      else return undefined;
      if (value !== undefined) known++;
    }
    // Fields the fast encoder leaves to canonicalJson still have a fingerprint: `content` and
    // `files` are covered by `sha256` (it is their hash), the others are listed.
    if (Object.keys(entry).length !== known) {
      let extra = 0;
      if (entry.content !== undefined || entry.files !== undefined) {
        if (entry.sha256 === undefined) return undefined;
        line += `|C${entry.content !== undefined ? 'c' : ''}${entry.files !== undefined ? 'f' : ''}`;
        extra += (entry.content !== undefined ? 1 : 0) + (entry.files !== undefined ? 1 : 0);
      }
      if (entry.pair !== undefined) {
        if (entry.pair !== true) return undefined;
        line += '|P';
        extra++;
      }
      for (const field of ['severity', 'rule'] as const) {
        const value = entry[field];
        if (value === undefined) continue;
        if (typeof value !== 'string') return undefined;
        line += `|${field === 'severity' ? 'V' : 'U'}${value.length}:${value}`;
        extra++;
      }
      if (entry.reading !== undefined) {
        if (typeof entry.reading !== 'number' || !Number.isFinite(entry.reading)) return undefined;
        line += `|G${entry.reading};`;
        extra++;
      }
      if (Object.keys(entry).length !== known + extra) return undefined;
      line += '|;';
    }
    chunk += line;
    if (chunk.length > 16384) {
      hash.update(chunk);
      chunk = '';
    }
  }
  return hash.update(chunk).digest('hex');
}

function toTree(entries: SourceManifest): DirNode {
  const root: DirNode = { entries: new Map(), dirs: new Map() };
  // Keys usually arrive sorted, so runs of keys share a directory: resolve it once per run.
  let lastDir: string | undefined;
  let lastNode = root;
  for (const [key, entry] of entries) {
    const slash = key.lastIndexOf('/');
    const dir = slash < 0 ? '' : key.slice(0, slash);
    const name = key.slice(slash + 1);
    if (dir === lastDir) {
      lastNode.entries.set(name, entry);
      continue;
    }
    const parts = slash < 0 ? [] : dir.split('/');
    let node = root;
    for (const part of parts) {
      let child = node.dirs.get(part);
      if (!child) {
        child = { entries: new Map(), dirs: new Map() };
        node.dirs.set(part, child);
      }
      node = child;
    }
    node.entries.set(name, entry);
    lastDir = dir;
    lastNode = node;
  }
  return root;
}

function writeDir(
  node: DirNode,
  put: (type: GitObjectType, content: Buffer) => string,
  putShard: (entries: Map<string, ManifestEntry>) => string,
  blobs: ReadonlyMap<string, Buffer> | undefined,
  objects: Map<string, GitObject>,
): string {
  const tree: TreeEntry[] = [];
  for (const [bucket, entries] of shardBuckets(node.entries)) {
    tree.push({ mode: '100644', name: bucket, oid: putShard(entries) });
  }
  const content = new Set<string>();
  for (const entry of node.entries.values()) if (typeof entry?.blob === 'string') content.add(entry.blob);
  for (const oid of content) {
    const bytes = blobs?.get(oid);
    if (bytes && !objects.has(oid)) objects.set(oid, { type: 'blob', content: bytes });
    tree.push({ mode: '100644', name: contentBlobName(oid), oid });
  }
  for (const [name, child] of node.dirs) {
    tree.push({ mode: '040000', name: escapeDirName(name), oid: writeDir(child, put, putShard, blobs, objects) });
  }
  return put('tree', encodeTree(tree));
}

function shardBuckets(entries: Map<string, ManifestEntry>): Map<string, Map<string, ManifestEntry>> {
  const buckets = new Map<string, Map<string, ManifestEntry>>();
  if (entries.size === 0) return buckets;
  if (entries.size <= SHARD_LIMIT) return buckets.set('@.json', entries);
  for (const [name, entry] of entries) {
    const bucket = `@${bucketOf(name)}.json`;
    let map = buckets.get(bucket);
    if (!map) buckets.set(bucket, (map = new Map()));
    map.set(name, entry);
  }
  return buckets;
}

/** Two hex digits from FNV-1a over the name's UTF-8 bytes: stable across versions and machines. */
export function bucketOf(name: string): string {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(name)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return (hash & 0xff).toString(16).padStart(2, '0');
}

/** The canonical JSON of a shard: exactly `canonicalJson({ entries })`, built without the generic walk. */
export function encodeShard(entries: Map<string, ManifestEntry>): string {
  return encodeShardFast(entries) ?? canonicalJson({ entries: Object.fromEntries(entries) } satisfies ShardDocument);
}

/** canonicalJson orders keys by UTF-16 code units, whatever they look like ("10" before "2"). */
function canonicalKeyOrder(keys: string[]): string[] {
  return keys.sort();
}

/** The scalar fields of a ManifestEntry in canonical (sorted) order. */
const ENTRY_FIELDS = ['blob', 'by', 'capture', 'error', 'mode', 'redacted', 'sha256', 'size', 'target', 'type'] as const;

/**
 * canonicalJson's output for the usual shard (2-space indent, sorted keys, trailing newline),
 * written directly: about 5x faster at 100,000 entries. Undefined when an entry has a field or a
 * value this writer does not handle, and for the name "__proto__", so that canonicalJson decides.
 */
function encodeShardFast(entries: Map<string, ManifestEntry>): string | undefined {
  if (entries.size === 0) return '{\n  "entries": {}\n}\n';
  const names = canonicalKeyOrder([...entries.keys()]);
  const parts: string[] = ['{\n  "entries": {'];
  for (let n = 0; n < names.length; n++) {
    const name = names[n];
    if (name === '__proto__') return undefined;
    const entry = entries.get(name) as ManifestEntry;
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) return undefined;
    let known = 0;
    let body = '';
    for (const field of ENTRY_FIELDS) {
      const value = entry[field];
      if (value === undefined) continue;
      if (typeof value === 'string') body += `${body ? ',' : ''}\n      "${field}": ${JSON.stringify(value)}`;
      else if (typeof value === 'number' && Number.isFinite(value)) body += `${body ? ',' : ''}\n      "${field}": ${JSON.stringify(value)}`;
      else return undefined;
      known++;
    }
    // Any other own field (even one holding undefined) is left to the generic encoder.
    if (Object.keys(entry).length !== known) return undefined;
    parts.push(`${n === 0 ? '' : ','}\n    ${JSON.stringify(name)}: ${body ? `{${body}\n    }` : '{}'}`);
  }
  parts.push('\n  }\n}\n');
  return parts.join('');
}

/**
 * The tree entry name of a key's directory component. A name starting with "@" gets one more "@".
 * A name git would refuse (`git fsck --strict`: empty, `.`, `..`, anything a file system may take
 * for `.git`, `.gitmodules` or `.gitattributes`) or could not store (a lone surrogate, see FORMAT.md) is written
 * `@=` followed by its UTF-16 code units, each kept when it is [A-Za-z0-9_-] and written `%XXXX`
 * (four hex digits) otherwise. No other name starts with "@=", so unescaping is unambiguous.
 */
export function escapeDirName(name: string): string {
  if (needsEscape(name)) {
    let out = '@=';
    for (let i = 0; i < name.length; i++) {
      const ch = name[i];
      out += /[A-Za-z0-9_-]/.test(ch) ? ch : `%${name.charCodeAt(i).toString(16).toUpperCase().padStart(4, '0')}`;
    }
    return out;
  }
  return name.startsWith('@') ? `@${name}` : name;
}

export function unescapeDirName(name: string): string {
  if (name.startsWith('@=')) return name.slice(2).replace(/%([0-9A-Fa-f]{4})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  return name.startsWith('@') ? name.slice(1) : name;
}

/** Code points HFS+ ignores in names (git's is_hfs_dotgit skips them too). */
const HFS_IGNORED = /[\u200C-\u200F\u202A-\u202E\u206A-\u206F\uFEFF]/g;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function needsEscape(name: string): boolean {
  if (name === '' || name === '.' || name === '..' || LONE_SURROGATE.test(name)) return true;
  const folded = name.replace(HFS_IGNORED, '').toLowerCase();
  // ".git", ".gitmodules" and ".gitattributes" as HFS+ or NTFS may read them (trailing dots and
  // spaces, alternate streams, 8.3 short names such as GIT~1 or GI7EBA~1) are refused by fsck.
  return /^\.git(modules|attributes)?([ .:].*)?$/.test(folded) || /^gi[a-z0-9]{0,4}~\d/.test(folded);
}

/** The tree entry name of captured content in a manifest directory: never a shard's nor an escaped directory's. */
export function contentBlobName(oid: string): string {
  return `@blob.${oid}`;
}

export function isContentBlobName(name: string): boolean {
  return /^@blob\.[0-9a-f]{40}$/.test(name);
}

export function isShardName(name: string): boolean {
  return /^@([0-9a-f]{2})?\.json$/.test(name);
}

/** What the manifest readers need from storage; the ledger layers fresh in-memory objects on top. */
export interface ObjectReader {
  readTree(oid: string): Promise<{ name: string; oid: string; type: string }[]>;
  readBlob(oid: string): Promise<Buffer>;
  /** The parsed shard at `oid`, when the reader keeps parsed shards (callers never modify it). */
  readShard?(oid: string): Promise<ShardDocument>;
}

/** A shard blob's document (exact integers kept). */
export function parseShard(content: Buffer): ShardDocument {
  return parseJsonKeepingIntegers(content.toString('utf8')) as ShardDocument;
}

export interface EntryDelta {
  source: string;
  key: string;
  before?: ManifestEntry;
  after?: ManifestEntry;
}

/**
 * Every entry that differs between two target manifests (either may be absent), in key order per
 * source. Subtrees and shards with equal object ids are skipped without being read.
 */
export async function diffManifests(reader: ObjectReader, from: string | undefined, to: string | undefined): Promise<EntryDelta[]> {
  const deltas: EntryDelta[] = [];
  if (from === to) return deltas;
  const [a, b] = await Promise.all([from ? reader.readTree(from) : [], to ? reader.readTree(to) : []]);
  const names = new Set([...a.map((e) => e.name), ...b.map((e) => e.name)]);
  for (const source of [...names].sort()) {
    const oa = a.find((e) => e.name === source)?.oid;
    const ob = b.find((e) => e.name === source)?.oid;
    if (oa !== ob) await diffDir(reader, source, '', oa, ob, deltas);
  }
  return deltas;
}

async function diffDir(reader: ObjectReader, source: string, prefix: string, from: string | undefined, to: string | undefined, out: EntryDelta[]): Promise<void> {
  const [a, b] = await Promise.all([from ? reader.readTree(from) : [], to ? reader.readTree(to) : []]);
  const shardsA = a.filter((e) => e.type === 'blob' && isShardName(e.name));
  const shardsB = b.filter((e) => e.type === 'blob' && isShardName(e.name));
  const shardKey = (list: typeof a): string => list.map((e) => `${e.name}:${e.oid}`).sort().join(',');
  if (shardKey(shardsA) !== shardKey(shardsB)) {
    // Bucket sets may differ when a directory crosses SHARD_LIMIT: compare the union of entries.
    const changedNames = new Set<string>();
    const oidsA = new Map(shardsA.map((e) => [e.name, e.oid]));
    const oidsB = new Map(shardsB.map((e) => [e.name, e.oid]));
    for (const name of new Set([...oidsA.keys(), ...oidsB.keys()])) if (oidsA.get(name) !== oidsB.get(name)) changedNames.add(name);
    // Under one bucketing scheme a name always lands in the same shard: read only the shards that differ.
    const bucketed = (list: typeof a): boolean => list.some((e) => e.name !== '@.json');
    const comparable = bucketed(shardsA) === bucketed(shardsB);
    const pick = (list: typeof a): typeof a => (comparable ? list.filter((e) => changedNames.has(e.name)) : list);
    const [ea, eb] = await Promise.all([readShards(reader, pick(shardsA)), readShards(reader, pick(shardsB))]);
    const keys = [...new Set([...ea.keys(), ...eb.keys()])].sort();
    for (const name of keys) {
      const before = ea.get(name);
      const after = eb.get(name);
      if (before && after && sameEntry(before, after)) continue;
      out.push({ source, key: prefix + name, ...(before ? { before } : {}), ...(after ? { after } : {}) });
    }
  }
  const dirsA = new Map(a.filter((e) => e.type === 'tree').map((e) => [e.name, e.oid]));
  const dirsB = new Map(b.filter((e) => e.type === 'tree').map((e) => [e.name, e.oid]));
  for (const name of [...new Set([...dirsA.keys(), ...dirsB.keys()])].sort()) {
    const oa = dirsA.get(name);
    const ob = dirsB.get(name);
    if (oa === ob) continue;
    await diffDir(reader, source, `${prefix}${unescapeDirName(name)}/`, oa, ob, out);
  }
}

async function readShards(reader: ObjectReader, shards: { oid: string }[]): Promise<Map<string, ManifestEntry>> {
  const out = new Map<string, ManifestEntry>();
  for (const shard of shards) {
    const doc = reader.readShard ? await reader.readShard(shard.oid) : parseShard(await reader.readBlob(shard.oid));
    for (const [name, entry] of Object.entries(doc.entries)) out.set(name, entry);
  }
  return out;
}

/** Reads a whole target manifest back into memory. */
export async function readManifest(reader: ObjectReader, oid: string | undefined): Promise<TargetManifest> {
  const manifest: TargetManifest = new Map();
  if (!oid) return manifest;
  for (const source of await reader.readTree(oid)) {
    if (source.type !== 'tree') continue;
    const entries: SourceManifest = new Map();
    await readDir(reader, source.oid, '', entries);
    manifest.set(source.name, entries);
  }
  return manifest;
}

async function readDir(reader: ObjectReader, oid: string, prefix: string, out: SourceManifest): Promise<void> {
  const tree = await reader.readTree(oid);
  const shards = await readShards(reader, tree.filter((e) => e.type === 'blob' && isShardName(e.name)));
  for (const [name, entry] of shards) out.set(prefix + name, entry);
  for (const dir of tree.filter((e) => e.type === 'tree')) await readDir(reader, dir.oid, `${prefix}${unescapeDirName(dir.name)}/`, out);
}

/**
 * The shard blob that holds `key` of `source` in a target manifest, and the entry in it. Reads
 * only the trees on the key's path; `shard` lets callers skip parsing when it did not change.
 */
export async function lookupEntry(
  reader: ObjectReader,
  manifest: string | undefined,
  source: string,
  key: string,
): Promise<{ shard: string | undefined; entry: ManifestEntry | undefined }> {
  if (!manifest) return { shard: undefined, entry: undefined };
  const parts = key.split('/');
  const name = parts.pop() as string;
  let tree = (await reader.readTree(manifest)).find((e) => e.name === source && e.type === 'tree')?.oid;
  for (const part of parts) {
    if (!tree) return { shard: undefined, entry: undefined };
    tree = (await reader.readTree(tree)).find((e) => e.name === escapeDirName(part) && e.type === 'tree')?.oid;
  }
  if (!tree) return { shard: undefined, entry: undefined };
  const entries = await reader.readTree(tree);
  const shard = entries.find((e) => e.type === 'blob' && e.name === '@.json') ?? entries.find((e) => e.type === 'blob' && e.name === `@${bucketOf(name)}.json`);
  if (!shard) return { shard: undefined, entry: undefined };
  const doc = parseJsonKeepingIntegers((await reader.readBlob(shard.oid)).toString('utf8')) as ShardDocument;
  return { shard: shard.oid, entry: doc.entries[name] };
}
