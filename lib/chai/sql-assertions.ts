/**
 * `pgdock/chai`: chai assertions that speak SQL (the code lives in lib/chai/). Default export for
 * `chai.use`; pgdock/register points table-name targets at the running test's connection.
 */
export { default } from './plugin.js';
export { setAssertionHost, type AssertionHost } from './host.js';
export { takeUnawaitedAssertions } from './deferred.js';
export type { SnapshotOptions } from './snapshot-assertion.js';
