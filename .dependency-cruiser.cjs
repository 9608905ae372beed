// pgdock's room boundaries (docs/ARCHITECTURE.md), checked by `npm run lint` over lib/ and hooks/.
// Type-only imports count: tsPreCompilationDeps sees them before TypeScript erases them.

/** lib/cli may not reach the Docker engine or the embedded provider's internals: it goes through ServerProvider. */
const CLI_FORBIDDEN = '^lib/server/(docker/|providers/embedded-)';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Modules may not import each other in a ring, type-only imports included.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-room-cycles',
      severity: 'error',
      comment: 'Rooms (folders) may not depend on each other in a ring: dependencies point down the table in docs/ARCHITECTURE.md.',
      scope: 'folder',
      from: {},
      to: { circular: true },
    },
    {
      name: 'lib-floor-imports-no-room',
      severity: 'error',
      comment:
        "lib/errors.ts and lib/debug.ts sit under every room, which imports them: they import no room. (no-room-cycles cannot see this: lib/'s own files share their folder with all the rooms.)",
      from: { path: '^lib/[^/]+[.]ts$', pathNot: '^lib/index[.]ts$' },
      to: { path: '^lib/[^/]+/' },
    },
    {
      name: 'only-mocha-adapter-imports-mocha',
      severity: 'error',
      comment: "Only lib/mocha/ and hooks/ know Mocha: nothing else imports 'mocha', not even its types.",
      from: { pathNot: '^(lib/mocha|hooks)/' },
      to: { path: '^node_modules/(@types/)?mocha/' },
    },
    {
      name: 'only-sync-uses-worker-threads',
      severity: 'error',
      comment: 'Threads that make async work synchronous live in lib/sync/ only.',
      from: { pathNot: '^lib/sync/' },
      to: { path: '^(node:)?worker_threads$' },
    },
    {
      name: 'cli-only-through-server-provider',
      severity: 'error',
      comment: 'The CLI reaches servers only through ServerProvider (server/providers/provider.ts, list and remove), not through the Docker engine or the embedded provider (#16).',
      from: { path: '^lib/cli/' },
      to: { path: CLI_FORBIDDEN },
    },
    {
      name: 'providers-through-coordination-index',
      severity: 'error',
      comment: 'Providers (and the Docker engine client) reach coordination only through its public functions, lib/coordination/index.ts (#16).',
      from: { path: '^lib/server/(providers|docker)/' },
      to: { path: '^lib/coordination/', pathNot: '^lib/coordination/index[.]ts$' },
    },
    {
      name: 'lib-not-to-spec',
      severity: 'error',
      comment: 'Shipped code never imports specs, spec support or benchmarks (they are not in the package).',
      from: { path: '^(lib|hooks)/' },
      to: { path: '^(spec|bench)/' },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment: 'An import the checker cannot resolve would slip past every rule above.',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: '(^|/)node_modules/' },
    // A worktree whose node_modules is a link to another checkout's: keep its paths as node_modules/….
    preserveSymlinks: true,
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.build.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
    },
  },
};
