/**
 * The observed state of one entry, as every source reports it and as the ledger stores it.
 * `sha256` is the content hash (for a symlink: of its target path); `error` marks an entry that
 * exists but could not be read, so it is neither "changed" nor "removed".
 */
export interface ManifestEntry {
  type: 'file' | 'symlink';
  sha256?: string;
  size?: number;
  /** Permission bits in octal, for example "644" or "755". */
  mode?: string;
  /** For a symlink: the path it points to, as stored in the link. */
  target?: string;
  error?: string;
}

/** All entries of one source, keyed by their stable key. */
export type SourceManifest = Map<string, ManifestEntry>;

/** All sources of one target. */
export type TargetManifest = Map<string, SourceManifest>;

export function sameEntry(a: ManifestEntry, b: ManifestEntry): boolean {
  return a.type === b.type && a.sha256 === b.sha256 && a.mode === b.mode && a.target === b.target && a.error === b.error && a.size === b.size;
}
