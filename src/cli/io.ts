/** Where the CLI writes and what it knows about its surroundings; tests pass their own. */
export interface CliIo {
  cwd: string;
  env: Record<string, string | undefined>;
  stdout: { write(text: string): unknown; isTTY?: boolean };
  stderr: { write(text: string): unknown; isTTY?: boolean };
  /** Asks a yes/no question on the terminal; absent when stdin is not a terminal (commands then need --yes). */
  confirm?: (question: string) => Promise<boolean>;
}

export interface GlobalArgs {
  config?: string;
  json: boolean;
  debug: boolean;
  'lock-timeout': number;
}

/**
 * Runs `fn` with a signal that aborts on SIGINT or SIGTERM (the long-running commands, daemon
 * and serve, stop cleanly on it); the handlers are removed when `fn` settles.
 */
export async function untilStopped<T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const stop = (): void => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    return await fn(controller.signal);
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}
