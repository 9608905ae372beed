import { availableParallelism } from 'node:os';

/**
 * Mocha's default number of `--parallel` workers: cores − 1, at least 1. Here, not in `mocha/`,
 * because option defaults (`maxJobs`) are sized by it and config sits below the Mocha adapter.
 */
export function defaultJobs(): number {
  return Math.max(1, availableParallelism() - 1);
}
