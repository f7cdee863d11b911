/** A commit that touched a changed file since the baseline. */
export interface AttributedCommit {
  oid: string;
  author: string;
  email: string;
  /** Author time, ISO 8601. */
  time: string;
  subject: string;
}

/**
 * Who changed an entry (README "Who changed it"). For files in a git work tree: whether the
 * observed content is committed, staged or only in the work tree, and for committed content the
 * commits since the baseline that touched it. For other sources: what the source's attribution
 * command or field says (`by`). Stored with the report's change; not recomputable, so `verify`
 * keeps it as recorded.
 */
export interface Attribution {
  /** Files in a git work tree. `untracked`: in neither the index nor HEAD. A removed file is `committed` when HEAD lacks it too. */
  state?: 'committed' | 'staged' | 'uncommitted' | 'untracked';
  /** Committed changes: the commits since the baseline that touched the file, newest first. */
  commits?: AttributedCommit[];
  /** Other sources: the attribution command's or field's answer (a manager, a serial, a user). */
  by?: string;
}

/** One line for people: `committed in 1a2b3c4d5e6f by Ann <ann@x> at 2026-…: "subject"`, `staged, not committed`, … */
export function attributionText(attribution: Attribution | undefined): string | undefined {
  if (!attribution) return undefined;
  const parts: string[] = [];
  switch (attribution.state) {
    case 'committed': {
      const commits = attribution.commits ?? [];
      if (commits.length === 0) parts.push('committed (no commit since the baseline touched it: checked out or pulled)');
      else {
        const [last] = commits;
        const more = commits.length > 1 ? ` (+${commits.length - 1} earlier commit${commits.length > 2 ? 's' : ''} since the baseline)` : '';
        parts.push(`committed in ${last.oid.slice(0, 12)} by ${last.author} <${last.email}> at ${last.time}: "${last.subject}"${more}`);
      }
      break;
    }
    case 'staged':
      parts.push('staged, not committed (uncommitted)');
      break;
    case 'uncommitted':
      parts.push('uncommitted (only in the work tree)');
      break;
    case 'untracked':
      parts.push('uncommitted (untracked: not in git)');
      break;
  }
  if (attribution.by !== undefined) parts.push(`by ${attribution.by}`);
  return parts.length > 0 ? parts.join('; ') : undefined;
}
