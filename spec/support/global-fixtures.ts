import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PgdockError } from '../../lib/errors.js';
import { DockerProvider } from '../../lib/providers/docker.js';
import { REPO_ROOT, TEST_IMAGE } from './paths.js';

const LOCAL_IMAGE = 'pgdock-local/postgres:15';

function stop(line: string): never {
  process.stderr.write(`\n${line}\n`);
  process.exit(1);
}

/** The suite needs a Docker engine and the test image: say so in one line when either is missing. */
async function checkDocker(): Promise<void> {
  try {
    await DockerProvider.connect();
  } catch (err) {
    stop(`pgdock tests need a Docker engine: ${err instanceof PgdockError ? err.summary : String(err)}`);
  }
  try {
    execFileSync('docker', ['image', 'inspect', TEST_IMAGE], { stdio: 'ignore' });
  } catch {
    if (TEST_IMAGE !== LOCAL_IMAGE) stop(`pgdock tests need the image ${TEST_IMAGE} (PGDOCK_IMAGE); it is not on this machine.`);
    process.stderr.write(`Building the test image ${LOCAL_IMAGE} from Debian packages (once, about a minute)...\n`);
    try {
      execFileSync('bash', [join(REPO_ROOT, 'fixtures', 'image', 'build.sh'), LOCAL_IMAGE], { stdio: 'inherit' });
    } catch {
      stop(`pgdock tests need the image ${LOCAL_IMAGE}: building it failed (it needs root and debootstrap; see fixtures/image/build.sh).`);
    }
  }
}

// Runs in the main mocha process only: one scratch folder per suite run, gone at the end.
export async function mochaGlobalSetup(): Promise<void> {
  await checkDocker();
  process.env.PGDOCK_SPEC_SCRATCH = mkdtempSync(join(tmpdir(), 'pgdock-spec-'));
  process.env.PGDOCK_IMAGE ??= TEST_IMAGE;
}

export function mochaGlobalTeardown(): void {
  const dir = process.env.PGDOCK_SPEC_SCRATCH;
  if (dir) rmSync(dir, { recursive: true, force: true });
}
