/**
 * `pgdock/chai`: chai assertions that speak SQL (the code lives in lib/chai/). Default export for
 * `chai.use`; pgdock/register points table-name targets at the running test's connection.
 */
export { default } from './chai/plugin.js';
export { setAssertionHost, type AssertionHost } from './chai/host.js';
export { takeUnawaitedAssertions } from './chai/deferred.js';
