import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, rmdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PgdockError } from '../../lib/errors.js';
import { resolveOptions } from '../../lib/config/options.js';
import { dockerEngineProblem } from '../../lib/server/choose-provider.js';
import { embeddedRoot } from '../../lib/server/providers/embedded-binaries.js';
import { DockerEngine } from '../../lib/server/docker/engine.js';
import { PREPARED_LABELS } from '../../lib/server/docker/prepared-image.js';
import { REPO_ROOT, TEST_IMAGE } from './paths.js';
import { parseProvider } from './spec-provider.js';

const LOCAL_IMAGE = 'pgdock-local/postgres:15';

function stop(line: string): never {
  process.stderr.write(`\n${line}\n`);
  process.exit(1);
}

/** The suite needs a Docker engine and the test image: say so in one line when either is missing. */
async function checkDocker(): Promise<void> {
  try {
    await DockerEngine.connect();
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

/**
 * The provider this run tests, by pgdock's own rule (PGDOCK_PROVIDER, else external with PGDOCK_URL,
 * else Docker when an engine answers, else embedded). CI names the one it expects, so a machine
 * whose Docker engine silently failed cannot pass by testing something else.
 */
async function decideProvider(): Promise<string> {
  const options = resolveOptions();
  const provider = options.provider !== 'auto' ? options.provider : options.url ? 'external' : (await dockerEngineProblem()) ? 'embedded' : 'docker';
  const expected = parseProvider(process.env.PGDOCK_SPEC_EXPECT_PROVIDER);
  if (expected && expected !== provider) {
    stop(`pgdock tests: CI expected the ${expected} provider (PGDOCK_SPEC_EXPECT_PROVIDER) but this run would use ${provider}.`);
  }
  process.stderr.write(`pgdock specs run on the ${provider} provider\n`);
  return provider;
}

// Runs in the main mocha process only: one scratch folder per suite run, gone at the end.
export async function mochaGlobalSetup(): Promise<void> {
  const provider = await decideProvider();
  process.env.PGDOCK_SPEC_PROVIDER = provider;
  if (provider === 'docker') await checkDocker();
  const scratch = mkdtempSync(join(tmpdir(), 'pgdock-spec-'));
  // Readable by all, as a project folder usually is: the embedded server (run as nobody under root)
  // uses the binaries where the sample projects installed them.
  chmodSync(scratch, 0o755);
  process.env.PGDOCK_SPEC_SCRATCH = scratch;
  process.env.PGDOCK_IMAGE ??= TEST_IMAGE;
  embeddedCopiesBefore = binaryCopies();
  preparedBefore = await preparedClusters();
}

/** Prepared clusters a cold start builds and keeps (docker images, embedded templates): the ones this run made go at its end. */
let preparedBefore: string[] = [];

async function preparedClusters(): Promise<string[]> {
  const templates = readdirSafe(embeddedRoot()).filter((n) => n.startsWith('tpl-')).map((n) => join(embeddedRoot(), n));
  const images = (await dockerEngineProblem()) ? [] : await listPreparedImages();
  return [...templates, ...images];
}

async function listPreparedImages(): Promise<string[]> {
  const engine = await DockerEngine.connect();
  return (await engine.client.listImages({ filters: { label: [PREPARED_LABELS.format] } })).map((i) => i.Id);
}

function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

let embeddedCopiesBefore: string[] = [];

/** Copies of the embedded binaries pgdock made for a server user who could not read them in place. */
function binaryCopies(): string[] {
  try {
    return readdirSync(embeddedRoot()).filter((n) => n.startsWith('bin-'));
  } catch {
    return [];
  }
}

export async function mochaGlobalTeardown(): Promise<void> {
  const dir = process.env.PGDOCK_SPEC_SCRATCH;
  if (dir) rmSync(dir, { recursive: true, force: true });
  for (const made of (await preparedClusters()).filter((p) => !preparedBefore.includes(p))) {
    if (made.startsWith('/')) rmSync(made, { recursive: true, force: true });
    else await (await DockerEngine.connect()).client.getImage(made).remove({ force: true }).catch(() => {}); // one a server still uses stays
  }
  // A copy this run made (a spec provoking it) goes too; the folder goes when nothing else is in it.
  for (const copy of binaryCopies().filter((n) => !embeddedCopiesBefore.includes(n))) rmSync(join(embeddedRoot(), copy), { recursive: true, force: true });
  try {
    rmdirSync(embeddedRoot());
  } catch {
    // other servers or copies remain
  }
}
