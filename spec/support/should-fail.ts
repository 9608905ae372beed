import { expect } from 'chai';
import { PgdockError } from '../../lib/errors.js';

/** Awaits an assertion that must fail, and checks its message (a test that fails for the wrong reason fails). */
export async function shouldFail(assertion: PromiseLike<unknown> | (() => unknown), message: RegExp | string): Promise<Error> {
  let error: unknown;
  try {
    // Chai assertions after a chainable method (`.include`) are functions that are also thenables.
    const thenable = typeof (assertion as PromiseLike<unknown>).then === 'function';
    await (thenable ? assertion : (assertion as () => unknown)());
  } catch (err) {
    error = err;
  }
  expect(error, 'the assertion should have failed').to.be.instanceOf(Error);
  const text = (error as Error).message;
  if (typeof message === 'string') expect(text).to.contain(message);
  else expect(text).to.match(message);
  return error as Error;
}

/** Runs a function that must throw a PgdockError, and returns it. */
export function pgdockErrorFrom(fn: () => unknown): PgdockError {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(PgdockError);
    return err as PgdockError;
  }
  throw new Error('expected a PgdockError');
}

/** Awaits a promise that must reject with a PgdockError, and returns it. */
export async function pgdockRejection(promise: Promise<unknown>): Promise<PgdockError> {
  try {
    await promise;
  } catch (err) {
    expect(err).to.be.instanceOf(PgdockError);
    return err as PgdockError;
  }
  throw new Error('expected a rejection with a PgdockError');
}
