// coordination's public face: what other rooms' providers may use of what processes share on disk.
// .dependency-cruiser.cjs (providers-through-coordination-index) holds server/providers and
// server/docker to this file. Covered by the specs of each module it re-exports
// (spec/unit/coordination/leases.spec.ts, spec/integration/coordination/file-lock.spec.ts).
export { liveLeasesOf } from './leases.js';
export { isProcessAlive, processArguments } from './process-liveness.js';
export { currentUid, ensurePrivateDir, readPrivateFile, unsafeReason, unsafeState } from './private-dir.js';
export { projectKey, serverKey, serverPaths, shortHash, type ServerOptions, type ServerPaths } from './server-key.js';
export { clearState, readJson, writeJson } from './state-file.js';
