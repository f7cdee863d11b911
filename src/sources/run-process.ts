import { spawn } from 'node:child_process';
import type { ProcessSpec } from '../config/config.js';
import { DriftError } from '../errors.js';

/** Always passed through to a source's process, whatever its `env` allow-list says. */
export const BASE_ENV = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TZ'];

/** Output beyond this is refused (a runaway producer must not exhaust memory). */
const MAX_STDOUT_BYTES = 256 * 1024 * 1024;
const STDERR_TAIL_CHARS = 400;

/**
 * Runs a source's process and returns its stdout. No shell is involved unless `spec.shell`; with a
 * remote prefix (`exec`, e.g. ssh HOST --) the argv is shell-quoted, since the remote side runs it
 * through a shell. A non-zero exit, a signal, a timeout or a spawn failure is a SOURCE_FAILED error
 * naming the source, the program and the tail of stderr; nothing of the environment is shown.
 */
export async function runProcess(spec: ProcessSpec, what: string, env: NodeJS.ProcessEnv): Promise<Buffer> {
  const argv = commandLine(spec);
  const program = argv[0];
  const childEnv: NodeJS.ProcessEnv = {};
  for (const name of [...BASE_ENV, ...spec.env]) if (env[name] !== undefined) childEnv[name] = env[name];
  return new Promise((resolve, reject) => {
    const fail = (message: string): void => reject(new DriftError('SOURCE_FAILED', `${what}: ${message}`, { data: { program } }));
    let child;
    try {
      child = spawn(program, argv.slice(1), { cwd: spec.cwd, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    } catch (error) {
      fail(`cannot run ${program}: ${(error as Error).message}`);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let stderr = '';
    let timedOut = false;
    let overflow = false;
    const kill = (): void => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, spec.timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_STDOUT_BYTES) {
        overflow = true;
        kill();
        return;
      }
      chunks.push(chunk);
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-4 * STDERR_TAIL_CHARS);
    });
    child.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      fail(error.code === 'ENOENT' ? `${program}: command not found (check the argv and PATH)` : error.code === 'EACCES' ? `${program}: permission denied` : `cannot run ${program}: ${error.message}`);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const tail = stderrTail(stderr);
      if (timedOut) return fail(`${program} timed out after ${spec.timeoutMs} ms (raise timeout)${tail}`);
      if (overflow) return fail(`${program} printed more than ${MAX_STDOUT_BYTES / 1024 / 1024} MiB`);
      if (signal) return fail(`${program} was killed by ${signal}${tail}`);
      if (code !== 0) return fail(`${program} exited with code ${code}${tail}`);
      resolve(Buffer.concat(chunks));
    });
  });
}

/** The argv actually spawned: the shell line or argv, behind the remote prefix if any. */
export function commandLine(spec: ProcessSpec): string[] {
  if (spec.exec.length === 0) return spec.shell ? ['/bin/sh', '-c', spec.argv[0]] : [...spec.argv];
  return [...spec.exec, spec.shell ? spec.argv[0] : spec.argv.map(shellQuote).join(' ')];
}

export function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

function stderrTail(stderr: string): string {
  const text = stderr.replace(/\s+$/, '');
  if (!text) return '';
  const tail = text.length > STDERR_TAIL_CHARS ? `…${text.slice(-STDERR_TAIL_CHARS)}` : text;
  return ` (stderr: ${tail.replace(/\s*\n\s*/g, ' | ')})`;
}
