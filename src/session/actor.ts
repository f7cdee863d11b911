import { hostname, userInfo } from 'node:os';
import type { Signature } from '../ledger/git-store.js';
import type { Workspace } from './workspace.js';
import type { OpDeps } from './deps.js';

/**
 * Who is acting, for commit authorship and accept records: GIT_AUTHOR_NAME/EMAIL if set, else the
 * ledger repository's user.name/user.email, else the OS user at this host.
 */
export async function resolveActor(ws: Workspace, deps: OpDeps): Promise<{ name: string; email: string }> {
  const name = deps.env.GIT_AUTHOR_NAME || (await ws.store.getConfig('user.name')) || safeUserName();
  const email = deps.env.GIT_AUTHOR_EMAIL || (await ws.store.getConfig('user.email')) || `${safeUserName()}@${hostname()}`;
  return { name, email };
}

export function signatureAt(actor: { name: string; email: string }, time: Date): Signature {
  return { name: actor.name, email: actor.email, timestamp: Math.floor(time.getTime() / 1000), timezoneOffset: 0 };
}

function safeUserName(): string {
  try {
    return userInfo().username || 'driftctl';
  } catch {
    return 'driftctl';
  }
}
