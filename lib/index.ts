export { acquireServer, type ServerHandle } from './acquire-server.js';
export { ErrorCodes, PgdockError, type ErrorCode, type SerializedError } from './errors.js';
export { resolveOptions, DEFAULT_IMAGE, OPTION_ENV, type PgdockOptions, type ResolvedOptions, type ProviderName, type WorkerRoleAttribute } from './options.js';
export { connectionUrl, redactedUrl, type ServerInfo, type ServerSummary } from './server-info.js';
export type { PgContext } from './pg-context.js';
export { renderFixture, knownPlaceholders, type FixtureValues, type RenderedFixture } from './fixtures.js';
export { prepareOnce, type PrepareInputs, type PrepareOnceOptions } from './prepare-once.js';
export { pg } from './current-context.js';
