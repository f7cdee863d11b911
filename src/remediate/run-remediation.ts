import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { RemediateConfig } from '../config/config.js';
import { BASE_ENV, commandLine, shellQuote } from '../sources/run-process.js';

/** What running a remediation command gave. Never throws: a failure to start is exit null with the reason as output. */
export interface RemediationRun {
  argv: string[];
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  durationMs: number;
  /** The last lines of stdout and stderr together, with secret values masked. */
  output: string;
}

const OUTPUT_TAIL_CHARS = 4000;
/** After a timeout, SIGTERM to the process group; SIGKILL if it still runs after this grace. */
const KILL_GRACE_MS = 2000;

/**
 * Runs `spec` with the drift: `DRIFT_REPORT` names a JSON file holding it (also fed on stdin),
 * `DRIFT_KEYS` lists the drifted keys one per line, `DRIFT_TARGET` names the target. Only the
 * allow-listed environment passes (BASE_ENV plus `spec.env`). No shell unless `spec.shell`; with
 * a remote prefix (`exec`, whose far side runs the line through a shell, as ssh does) the report
 * goes over stdin into a remote temporary file (mktemp, removed afterwards) and the DRIFT_
 * variables are set there through `env`. Values of the allow-listed variables are
 * masked in the output kept. `elapsed` measures the duration (injected: tests use a real clock).
 */
export async function runRemediation(spec: RemediateConfig, drift: { target: string; keys: string[]; report: object }, env: Record<string, string | undefined>, elapsed: () => number = monotonicMs): Promise<RemediationRun> {
  const dir = mkdtempSync(path.join(tmpdir(), 'driftctl-remediate-'));
  const reportFile = path.join(dir, 'drift.json');
  const reportText = `${JSON.stringify(drift.report, null, 2)}\n`;
  writeFileSync(reportFile, reportText, { mode: 0o600 });
  const driftEnv: Record<string, string> = { DRIFT_REPORT: reportFile, DRIFT_KEYS: drift.keys.join('\n'), DRIFT_TARGET: drift.target };
  const childEnv: NodeJS.ProcessEnv = {};
  for (const name of [...BASE_ENV, ...spec.env]) if (env[name] !== undefined) childEnv[name] = env[name];
  let argv = commandLine({ ...spec });
  if (spec.exec.length > 0) {
    const remote = argv[argv.length - 1];
    // The remote shell keeps the report (read from stdin) in a temporary file of its own for the command.
    const vars = `DRIFT_REPORT="$t" DRIFT_KEYS=${shellQuote(driftEnv.DRIFT_KEYS)} DRIFT_TARGET=${shellQuote(driftEnv.DRIFT_TARGET)}`;
    argv = [...argv.slice(0, -1), `t=$(mktemp) && cat > "$t" && env ${vars} ${spec.shell ? `/bin/sh -c ${shellQuote(remote)}` : remote}; s=$?; rm -f "$t"; exit $s`];
  } else Object.assign(childEnv, driftEnv);
  const secrets = spec.env.map((name) => env[name]).filter((v): v is string => typeof v === 'string' && v.length >= 4);
  const started = elapsed();
  try {
    return await new Promise<RemediationRun>((resolve) => {
      let output = '';
      const keep = (chunk: Buffer | string): void => {
        output = (output + chunk.toString()).slice(-4 * OUTPUT_TAIL_CHARS);
      };
      const done = (exitCode: number | null, signal: string | null, timedOut: boolean, extra = ''): void => {
        resolve({ argv, exitCode, signal, timedOut, durationMs: Math.max(0, Math.round(elapsed() - started)), output: mask(tail(output + extra), secrets) });
      };
      let child;
      try {
        child = spawn(argv[0], argv.slice(1), { cwd: spec.cwd, env: childEnv, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
      } catch (error) {
        done(null, null, false, `cannot run ${argv[0]}: ${(error as Error).message}`);
        return;
      }
      let timedOut = false;
      const signalGroup = (signal: NodeJS.Signals): void => {
        try {
          if (child.pid !== undefined) process.kill(-child.pid, signal);
        } catch {
          child.kill(signal);
        }
      };
      let killer: NodeJS.Timeout | undefined;
      const timer = setTimeout(() => {
        timedOut = true;
        signalGroup('SIGTERM');
        killer = setTimeout(() => signalGroup('SIGKILL'), KILL_GRACE_MS);
      }, spec.timeoutMs);
      child.stdout.on('data', keep);
      child.stderr.on('data', keep);
      child.stdin.on('error', () => undefined); // a command that does not read stdin
      child.stdin.end(reportText);
      child.on('error', (error: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        clearTimeout(killer);
        done(null, null, false, error.code === 'ENOENT' ? `${argv[0]}: command not found (check remediate: and PATH)` : `cannot run ${argv[0]}: ${error.message}`);
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        clearTimeout(killer);
        done(code, signal, timedOut, timedOut ? `\n(driftctl: killed after the timeout of ${spec.timeoutMs} ms)` : '');
      });
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function monotonicMs(): number {
  return performance.now();
}

function tail(text: string): string {
  const trimmed = text.replace(/\s+$/, '');
  return trimmed.length > OUTPUT_TAIL_CHARS ? `…${trimmed.slice(-OUTPUT_TAIL_CHARS)}` : trimmed;
}

/** Replaces every occurrence of a secret value by `***`. */
export function mask(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of [...secrets].sort((a, b) => b.length - a.length)) out = out.split(secret).join('***');
  return out;
}
