import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { resolveOptions, type PgdockOptions, type ResolvedOptions } from '../../lib/config/options.js';
import type { RunIdentity } from '../../lib/coordination/run-identity.js';
import { projectKey } from '../../lib/coordination/server-key.js';
import { removeProjectServers } from './server-watch.js';
import { providerSettings } from './spec-provider.js';
import { TEST_IMAGE, scratchRoot } from './paths.js';

/** Options for a project of its own (own project key, own state dir) on the provider under test, ignoring this process's env. */
export function isolatedOptions(input: PgdockOptions = {}): { options: ResolvedOptions; run: RunIdentity; cleanup: () => Promise<void> } {
  mkdirSync(scratchRoot(), { recursive: true });
  const root = mkdtempSync(join(scratchRoot(), 'project-'));
  const options = resolveOptions({ image: TEST_IMAGE, reuse: false, projectRoot: root, stateDir: join(root, 'state'), ...providerSettings(), ...input }, {});
  const run: RunIdentity = { runId: randomUUID(), ownerPid: process.pid, managed: false };
  return {
    options,
    run,
    cleanup: async () => {
      await removeProjectServers(projectKey(options));
      rmSync(root, { recursive: true, force: true });
    },
  };
}
