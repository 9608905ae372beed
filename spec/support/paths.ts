import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (specs run from dist/spec/...). */
export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** The image specs start: the local one .ci/run builds, unless PGDOCK_IMAGE says otherwise. */
export const TEST_IMAGE = process.env.PGDOCK_IMAGE ?? 'pgdock-local/postgres:15';

/** Where this suite run keeps its scratch files; removed by the global teardown. */
export function scratchRoot(): string {
  return join(process.env.PGDOCK_SPEC_SCRATCH ?? '/tmp/pgdock-spec', '');
}
