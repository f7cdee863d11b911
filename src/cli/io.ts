/** Where the CLI writes and what it knows about its surroundings; tests pass their own. */
export interface CliIo {
  cwd: string;
  env: Record<string, string | undefined>;
  stdout: { write(text: string): unknown; isTTY?: boolean };
  stderr: { write(text: string): unknown; isTTY?: boolean };
}

export interface GlobalArgs {
  config?: string;
  json: boolean;
  debug: boolean;
  'lock-timeout': number;
}
