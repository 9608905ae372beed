// Counting and removing the containers the peers benchmark owns, by label: never anyone else's.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Ids of the containers (running or not) carrying `label` (`key=value`). */
export async function containersLabelled(label: string): Promise<string[]> {
  const { stdout } = await run('docker', ['ps', '-a', '-q', '--no-trunc', '--filter', `label=${label}`]);
  return stdout.split('\n').filter(Boolean);
}

/** Fails unless exactly `expected` containers carry `label`: what every run checks before and after. */
export async function expectContainers(label: string, expected: number, when: string): Promise<void> {
  const ids = await containersLabelled(label);
  if (ids.length !== expected) {
    throw new Error(`${when}: ${ids.length} container(s) labelled ${label}, expected ${expected} (${ids.map((id) => id.slice(0, 12)).join(', ') || 'none'})`);
  }
}

/** Removes the containers carrying `label` (with their anonymous volumes); returns how many there were. */
export async function removeLabelled(label: string): Promise<number> {
  const ids = await containersLabelled(label);
  if (ids.length) await run('docker', ['rm', '-f', '-v', ...ids]);
  return ids.length;
}

/** Ids of pgdock's prepared-cluster images (label `pgdock.prepared`): the bench removes the ones it built. */
export async function preparedImages(): Promise<string[]> {
  const { stdout } = await run('docker', ['images', '-q', '--no-trunc', '--filter', 'label=pgdock.prepared']);
  return [...new Set(stdout.split('\n').filter(Boolean))];
}

/** Removes the prepared images that are not in `before` (one a container still uses stays). */
export async function removePreparedSince(before: string[]): Promise<number> {
  const made = (await preparedImages()).filter((id) => !before.includes(id));
  for (const id of made) await run('docker', ['rmi', '-f', id]).catch(() => undefined);
  return made.length;
}
