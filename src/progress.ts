/** Progress of long operations, reported as events; the CLI renders them on a TTY and is quiet otherwise. */
export interface ProgressEvent {
  phase: 'scan' | 'hash' | 'write' | 'diff';
  target?: string;
  source?: string;
  done: number;
  total?: number;
}

export type ProgressListener = (event: ProgressEvent) => void;
