import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT } from './paths.js';

/** A rendered pipeline config, as fixtures/pipelines/*.yaml describe it. */
export type PipelineConfig = Record<string, unknown> & { streams: Array<Record<string, unknown>> };

/** What a run did to one stream (and, summed, to the pipeline). */
export interface SyncCounts {
  written: number;
  skipped: number;
  deadLettered: number;
  columnsAdded: number;
  columnsIgnored: number;
  columnsNullFilled: number;
  columnsCoerced: number;
}

export interface SyncResult extends SyncCounts {
  streams: Record<string, SyncCounts>;
}

/** The reference sync's typed error (fixtures/sync/errors.js). */
export interface SyncError extends Error {
  code: 'CONFIG' | 'SCHEMA_DRIFT' | 'BAD_ROW';
  stream?: string;
  column?: string;
  row?: Record<string, unknown>;
  sqlstate?: string;
}

/** One incremental batch or one replayed CDC source transaction, as the stop hooks see it. */
export interface SyncStep {
  streams: string[];
  /** 1, 2, ... within the run. */
  batch: number;
  rows: number;
  /** The batch's last cursor value (incremental) or its commit LSN (cdc). */
  cursor: string;
}

export interface SyncHooks {
  beforeSwap?: (stream: { name: string }) => Promise<void> | void;
  /** Inside the step's transaction, its rows written, before its checkpoint moves and it commits. */
  afterWrite?: (step: SyncStep) => Promise<void> | void;
  /** After the step committed. */
  afterCommit?: (step: SyncStep) => Promise<void> | void;
}

export interface ReferenceSync {
  runPipeline(config: unknown, hooks?: SyncHooks): Promise<SyncResult>;
  SyncError: new (...args: never[]) => SyncError;
}

/** The system under test: fixtures/sync/sync.js (plain JS, as a user's own code would be). */
export async function referenceSync(): Promise<ReferenceSync> {
  return (await import(pathToFileURL(join(REPO_ROOT, 'fixtures', 'sync', 'sync.js')).href)) as ReferenceSync;
}
