import { spawnSync } from 'node:child_process';

/**
 * Commit signature checks through the git CLI (`git verify-commit`), which understands both
 * SSH signatures (against an allowed-signers file) and GPG signatures (against the keyring).
 * isomorphic-git cannot verify SSH signatures, so this adapter shells out.
 */
export interface SignatureCheck {
  ok: boolean;
  detail: string;
}

export function verifyCommitSignature(gitdir: string, oid: string, allowedSigners: string | undefined): SignatureCheck {
  const args = ['--git-dir', gitdir];
  if (allowedSigners) args.push('-c', `gpg.ssh.allowedSignersFile=${allowedSigners}`);
  args.push('verify-commit', '--raw', oid);
  const run = spawnSync('git', args, { encoding: 'utf8', env: { ...process.env, LANG: 'C', LC_ALL: 'C' } });
  if (run.error) return { ok: false, detail: `cannot run git to check signatures (${run.error.message})` };
  const output = `${run.stderr ?? ''}${run.stdout ?? ''}`.trim().split('\n').filter(Boolean);
  const detail = output.find((l) => /Good|BAD|No principal|not allowed|ERROR|error|Could not|Can't/i.test(l)) ?? output[0] ?? '';
  return { ok: run.status === 0, detail: detail.trim() };
}
