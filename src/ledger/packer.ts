import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Packed storage (ledger/FORMAT.md "Outside the branch"). driftctl never runs `git gc` and never
 * packs or deletes an object it did not write: it keeps, outside the branch,
 * - `driftctl/loose-objects`: the ids of loose objects it wrote that a ref it moved now reaches;
 * - `driftctl/packs`: the names of the packs it made or fetched.
 * Once `LOOSE_LIMIT` loose objects are listed, they go into one new pack (written, indexed, then
 * the loose copies removed); once `PACK_LIMIT` packs are listed, they are merged into one. So a
 * year of checks ends up in a few packs, not in hundreds of thousands of loose files, and the
 * objects of the user's own branches are never touched.
 */
export const LOOSE_LIMIT = 512;
export const PACK_LIMIT = 8;

/** The isomorphic-git calls the packer needs (the git adapter passes them in). */
export interface PackWriter {
  gitdir: string;
  /** A pack (`PACK…` bytes) holding `oids`, read from wherever they are stored. */
  pack(oids: string[]): Promise<Buffer>;
  /** Writes the `.idx` beside `objects/pack/<name>.pack`. */
  index(name: string): Promise<void>;
}

export interface PackOutcome {
  packed: number;
  merged: number;
  pack?: string;
}

function listFile(gitdir: string, name: string): string {
  return path.join(gitdir, 'driftctl', name);
}

function readList(file: string): string[] {
  try {
    return readFileSync(file, 'utf8').split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

/** Adds written loose objects to the list (called once a ref reaches them). */
export function noteLooseObjects(gitdir: string, oids: Iterable<string>): void {
  const lines = [...oids].filter((oid) => /^[0-9a-f]{40}$/.test(oid));
  if (lines.length === 0) return;
  const file = listFile(gitdir, 'loose-objects');
  mkdirSync(path.dirname(file), { recursive: true });
  appendFileSync(file, `${lines.join('\n')}\n`);
}

/** Adds packs that driftctl fetched to the list of packs it may merge. */
export function notePacks(gitdir: string, names: string[]): void {
  if (names.length === 0) return;
  const file = listFile(gitdir, 'packs');
  mkdirSync(path.dirname(file), { recursive: true });
  appendFileSync(file, `${names.join('\n')}\n`);
}

/** Names (`pack-<sha>`) of the packs in the repository that have an index. */
export function packNames(gitdir: string): string[] {
  try {
    return readdirSync(path.join(gitdir, 'objects', 'pack'))
      .filter((f) => f.endsWith('.idx'))
      .map((f) => f.slice(0, -4));
  } catch {
    return [];
  }
}

/** Object ids listed in a version-2 pack index. */
export function packIndexOids(idxFile: string): string[] {
  const idx = readFileSync(idxFile);
  if (idx.readUInt32BE(0) !== 0xff744f63 || idx.readUInt32BE(4) !== 2) throw new Error(`${idxFile}: not a version-2 pack index`);
  const count = idx.readUInt32BE(8 + 255 * 4);
  const start = 8 + 256 * 4;
  const out: string[] = [];
  for (let i = 0; i < count; i++) out.push(idx.toString('hex', start + i * 20, start + (i + 1) * 20));
  return out;
}

/** Packs what the lists say is due; a no-op below the limits. */
export async function packIfDue(writer: PackWriter, limits = { loose: LOOSE_LIMIT, packs: PACK_LIMIT }): Promise<PackOutcome> {
  const { gitdir } = writer;
  const looseFile = listFile(gitdir, 'loose-objects');
  const packsFile = listFile(gitdir, 'packs');
  const outcome: PackOutcome = { packed: 0, merged: 0 };
  const loose = [...new Set(readList(looseFile))].filter((oid) => existsSync(loosePath(gitdir, oid)));
  if (loose.length >= limits.loose) {
    const name = await writePack(writer, loose);
    const inPack = new Set(packIndexOids(path.join(gitdir, 'objects', 'pack', `${name}.idx`)));
    notePacks(gitdir, [name]);
    // Only now, with the pack and its index in place, the loose copies may go.
    for (const oid of loose) if (inPack.has(oid)) rmSync(loosePath(gitdir, oid), { force: true });
    writeFileSync(looseFile, '');
    outcome.packed = loose.length;
    outcome.pack = name;
  } else if (readList(looseFile).length > loose.length * 2 + limits.loose) {
    // Entries whose loose copy is gone (packed elsewhere): keep the list short.
    writeFileSync(looseFile, loose.length ? `${loose.join('\n')}\n` : '');
  }
  const present = new Set(packNames(gitdir));
  const ours = [...new Set(readList(packsFile))].filter((name) => present.has(name));
  if (ours.length >= limits.packs) {
    const oids = [...new Set(ours.flatMap((name) => packIndexOids(path.join(gitdir, 'objects', 'pack', `${name}.idx`))))];
    const name = await writePack(writer, oids);
    writeFileSync(packsFile, `${name}\n`);
    for (const old of ours) {
      if (old === name) continue;
      rmSync(path.join(gitdir, 'objects', 'pack', `${old}.idx`), { force: true });
      rmSync(path.join(gitdir, 'objects', 'pack', `${old}.pack`), { force: true });
    }
    outcome.merged = ours.length;
    outcome.pack = name;
  }
  return outcome;
}

function loosePath(gitdir: string, oid: string): string {
  return path.join(gitdir, 'objects', oid.slice(0, 2), oid.slice(2));
}

/** Writes a pack of `oids` and its index; returns its name. The pack is complete before it is visible. */
async function writePack(writer: PackWriter, oids: string[]): Promise<string> {
  const bytes = await writer.pack(oids);
  const name = `pack-${bytes.subarray(bytes.length - 20).toString('hex')}`;
  const dir = path.join(writer.gitdir, 'objects', 'pack');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}.pack`);
  if (!existsSync(file)) {
    const temp = `${file}.tmp-${process.pid}`;
    writeFileSync(temp, bytes);
    renameSync(temp, file);
  }
  // A pack without an index is invisible to git and to isomorphic-git.
  if (!existsSync(path.join(dir, `${name}.idx`))) await writer.index(name);
  return name;
}
