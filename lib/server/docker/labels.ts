// Covered by spec/unit/server/docker/labels.spec.ts.
import { projectKey, serverKey, serverPaths, type ServerOptions } from '../../coordination/index.js';

/** Labels every pgdock container carries; they, not the state file, are the truth. */
export const LABELS = {
  marker: 'pgdock',
  key: 'pgdock.key',
  project: 'pgdock.project',
  projectRoot: 'pgdock.project-root',
  stateDir: 'pgdock.state-dir',
  /** The image as the user named it: a server from a prepared image runs that image's id. */
  image: 'pgdock.image',
} as const;

/** The labels of the container serving `options`: its project, its config and its state folder. */
export function labelsFor(options: ServerOptions): Record<string, string> {
  return {
    [LABELS.marker]: '1',
    [LABELS.key]: serverKey(options),
    [LABELS.project]: projectKey(options),
    [LABELS.projectRoot]: options.projectRoot,
    [LABELS.stateDir]: serverPaths(options).dir,
    [LABELS.image]: options.image,
  };
}

/** Docker's `label` filter for containers carrying all of `labels` (an empty value matches any value). */
export function labelFilter(labels: Record<string, string>): { label: string[] } {
  return { label: Object.entries(labels).map(([k, v]) => (v === '' ? k : `${k}=${v}`)) };
}
