import type { ManifestEntry } from '../drift/manifest.js';
import { DriftError } from '../errors.js';
import type { ObjectReader } from './manifest-tree.js';

/**
 * Reading captured content back (see ledger/FORMAT.md "Captured content"). `blob` ids come from
 * manifest entries; the blob is stored in the manifest tree of every commit that names it.
 */
export async function readBlob(reader: Pick<ObjectReader, 'readBlob'>, oid: string): Promise<Buffer> {
  if (!/^[0-9a-f]{40}$/.test(oid)) throw new DriftError('LEDGER_DAMAGED', `captured content id "${oid}" is not a git object id`, { data: { oid } });
  return reader.readBlob(oid);
}

/** The captured bytes of an entry, or undefined when it has none (never captured, or a ledger from before capture). */
export async function readCapturedContent(reader: Pick<ObjectReader, 'readBlob'>, entry: ManifestEntry | undefined): Promise<Buffer | undefined> {
  if (!entry || typeof entry.blob !== 'string') return undefined;
  return readBlob(reader, entry.blob);
}

/**
 * True when the captured bytes are the file's own bytes (not redacted), so they may be written
 * back over the file. A redacted blob must never be.
 */
export function isExactCopy(entry: ManifestEntry): boolean {
  return typeof entry.blob === 'string' && entry.redacted === undefined && entry.content === undefined;
}
