/** Pieces the benchmarks share. */

/** Git identity and isolation for the repositories benchmarks create. */
export const GIT_ENV = {
  GIT_AUTHOR_NAME: 'driftctl bench',
  GIT_AUTHOR_EMAIL: 'bench@example.invalid',
  GIT_COMMITTER_NAME: 'driftctl bench',
  GIT_COMMITTER_EMAIL: 'bench@example.invalid',
  GIT_CONFIG_NOSYSTEM: '1',
};

/** xorshift32: a small, fast pseudo-random generator giving the same trees everywhere. */
export function prng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x1_0000_0000;
  };
}
