import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT } from './paths.js';

/** A rendered pipeline config, as fixtures/pipelines/*.yaml describe it. */
export type PipelineConfig = Record<string, unknown> & { streams: Array<Record<string, unknown>> };

export interface ReferenceSync {
  runPipeline(config: unknown, hooks?: { beforeSwap?: (stream: { name: string }) => Promise<void> | void }): Promise<void>;
}

/** The system under test: fixtures/sync/sync.js (plain JS, as a user's own code would be). */
export async function referenceSync(): Promise<ReferenceSync> {
  return (await import(pathToFileURL(join(REPO_ROOT, 'fixtures', 'sync', 'sync.js')).href)) as ReferenceSync;
}
