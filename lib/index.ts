export { acquireServer, type ServerHandle } from './server/acquire-server.js';
export { ErrorCodes, PgdockError, type ErrorCode, type SerializedError } from './errors.js';
export { resolveOptions, DEFAULT_IMAGE, OPTION_ENV, type PgdockOptions, type ResolvedOptions, type ProviderName, type WorkerRoleAttribute } from './config/options.js';
export { connectionUrl, redactedUrl, type ServerInfo, type ServerSummary } from './server/server-info.js';
export type { PgContext } from './mocha/pg-context.js';
export { renderFixture, knownPlaceholders, type FixtureValues, type RenderedFixture } from './fixtures/fixtures.js';
export { prepareOnce, type PrepareInputs, type PrepareOnceOptions } from './prepare/prepare-once.js';
export { pg } from './mocha/current-context.js';
export { startProcess, type StartedProcess, type StartProcessOptions, type ProcessExit, type ReadyCheck } from './processes/start-process.js';
