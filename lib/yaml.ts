// Covered by spec/unit/fixtures/fixtures.spec.ts and spec/integration/chai/snapshots.spec.ts (its users).
import { createRequire } from 'node:module';
import type * as Yaml from 'yaml';

const require = createRequire(import.meta.url);
let loaded: typeof Yaml | undefined;

/**
 * The yaml library, loaded on first use (synchronously: `this.pg.fixture()` is synchronous). Most
 * test processes render no fixture and read no snapshot, and it is the largest module pgdock loads.
 */
export function yaml(): typeof Yaml {
  loaded ??= require('yaml') as typeof Yaml;
  return loaded;
}
