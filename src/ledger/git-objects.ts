import { createHash } from 'node:crypto';

/**
 * Pure git object encoding: lets the ledger compute blob and tree ids in memory, so that only
 * objects that are actually new get compressed and written.
 */
export type GitObjectType = 'blob' | 'tree' | 'commit';

export interface TreeEntry {
  /** '040000' (or git's '40000') for a subtree, '100644', '100755' or '120000' for a blob. */
  mode: string;
  name: string;
  oid: string;
}

export function wrapObject(type: GitObjectType, content: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${type} ${content.length}\0`), content]);
}

export function objectId(type: GitObjectType, content: Buffer): string {
  return createHash('sha1').update(`${type} ${content.length}\0`).update(content).digest('hex');
}

/** Git orders tree entries by name, comparing a subtree's name as if it ended with "/". */
function isTreeMode(mode: string): boolean {
  return mode === '040000' || mode === '40000';
}

function sortName(entry: TreeEntry): Buffer {
  return Buffer.from(isTreeMode(entry.mode) ? `${entry.name}/` : entry.name);
}

export function encodeTree(entries: readonly TreeEntry[]): Buffer {
  const sorted = entries.map((entry) => ({ entry, key: sortName(entry) })).sort((a, b) => Buffer.compare(a.key, b.key));
  const parts: Buffer[] = [];
  for (const { entry } of sorted) {
    // git writes tree modes without the leading zero.
    const mode = isTreeMode(entry.mode) ? '40000' : entry.mode;
    parts.push(Buffer.from(`${mode} ${entry.name}\0`), Buffer.from(entry.oid, 'hex'));
  }
  return Buffer.concat(parts);
}

export interface RawTreeEntry {
  name: string;
  oid: string;
  type: 'tree' | 'blob' | 'commit';
  mode: string;
}

/** Parses a raw tree object (without the header) into entries, modes as stored (`40000` for a tree). */
export function parseTreeObject(content: Buffer): RawTreeEntry[] {
  const out: RawTreeEntry[] = [];
  let i = 0;
  while (i < content.length) {
    const space = content.indexOf(0x20, i);
    const nul = content.indexOf(0, space);
    const mode = content.toString('utf8', i, space);
    const name = content.toString('utf8', space + 1, nul);
    const oid = content.toString('hex', nul + 1, nul + 21);
    out.push({ name, oid, mode, type: mode === '40000' ? 'tree' : mode === '160000' ? 'commit' : 'blob' });
    i = nul + 21;
  }
  return out;
}
