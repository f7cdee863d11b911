import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { DriftError } from '../errors.js';

export interface LockInfo {
  pid: number;
  host: string;
  command: string;
  since: string;
}

/**
 * An exclusive lock on a ledger repository, so that two driftctl processes never interleave
 * their writes. The lock file is created with O_EXCL; a lock left by a process that no longer
 * runs on this host (killed, crashed) is taken over. Waits up to `timeoutMs`, then throws
 * LEDGER_LOCKED naming the holder.
 */
export async function acquireLock(gitdir: string, command: string, timeoutMs: number): Promise<() => void> {
  const dir = path.join(gitdir, 'driftctl');
  const file = path.join(dir, 'lock');
  mkdirSync(dir, { recursive: true });
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      const info: LockInfo = { pid: process.pid, host: hostname(), command, since: new Date().toISOString() };
      writeSync(fd, JSON.stringify(info));
      closeSync(fd);
      // Leftovers of writers that were killed mid-write: nobody else writes while we hold the lock.
      rmSync(path.join(dir, 'tmp'), { recursive: true, force: true });
      let released = false;
      return () => {
        if (released) return;
        released = true;
        rmSync(file, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = readHolder(file);
    if (holder === 'empty' && attempt > 20) {
      // Created but never written: its creator died between open and write.
      rmSync(file, { force: true });
      continue;
    }
    if (holder && holder !== 'empty' && holder.host === hostname() && !isAlive(holder.pid)) {
      rmSync(file, { force: true });
      continue;
    }
    if (Date.now() >= deadline) {
      const who = holder && holder !== 'empty' ? `driftctl ${holder.command} (pid ${holder.pid} on ${holder.host}, since ${holder.since})` : 'another process';
      throw new DriftError('LEDGER_LOCKED', `the ledger in ${gitdir} is locked by ${who}; wait for it to finish, raise --lock-timeout, or delete ${file} if that process is gone`, {
        data: { file, holder: holder === 'empty' ? undefined : holder },
      });
    }
    await new Promise((resolve) => setTimeout(resolve, 50 + Math.random() * 100));
  }
}

function readHolder(file: string): LockInfo | 'empty' | undefined {
  try {
    const text = readFileSync(file, 'utf8');
    if (text === '') return 'empty';
    return JSON.parse(text) as LockInfo;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
