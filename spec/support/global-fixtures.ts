import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Runs in the main mocha process only: one scratch folder per suite run, gone at the end.
export function mochaGlobalSetup(): void {
  const dir = mkdtempSync(join(tmpdir(), 'pgdock-spec-'));
  mkdirSync(dir, { recursive: true });
  process.env.PGDOCK_SPEC_SCRATCH = dir;
}

export function mochaGlobalTeardown(): void {
  const dir = process.env.PGDOCK_SPEC_SCRATCH;
  if (dir) rmSync(dir, { recursive: true, force: true });
}
