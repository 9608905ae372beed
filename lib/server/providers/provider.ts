import type { ConcreteProvider } from '../../config/options.js';
import type { ServerInfo } from '../server-info.js';
import type { ServerOptions, ServerPaths } from '../../coordination/server-key.js';

/**
 * What each kind of server does for the leader-first protocol. `startOrAdopt` and `removeServer`
 * run under the server's file lock, so one process at a time does them.
 */
export interface ServerProvider {
  readonly name: ConcreteProvider;
  /** Finds this config's server and waits until it answers SQL, or starts one. Sweeps leftovers first. */
  startOrAdopt(options: ServerOptions, paths: ServerPaths): Promise<ServerInfo>;
  /** The last lease is gone and reuse is off: stops and removes the server whose files are in `dir`. */
  removeServer(dir: string, recorded: ServerInfo | undefined): Promise<string[]>;
  /** The server's last log lines with secrets removed, for reports about a server that stopped answering. */
  logTail(info: ServerInfo, lines: number): Promise<string>;
}
