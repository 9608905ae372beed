import { expect } from 'chai';
import type { ReferenceSync, SyncError } from './reference-sync.js';

/** Awaits a pipeline run that must fail with the reference sync's SyncError of `code`, and returns it. */
export async function syncRejection(sync: ReferenceSync, run: Promise<unknown>, code: SyncError['code']): Promise<SyncError> {
  let error: unknown;
  try {
    await run;
  } catch (err) {
    error = err;
  }
  expect(error, 'the run should have failed with a SyncError').to.be.instanceOf(sync.SyncError);
  const syncError = error as SyncError;
  expect(syncError.code, syncError.message).to.equal(code);
  return syncError;
}
