import { request } from 'node:http';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createDebug } from '../debug.js';
import { withFileLock } from '../file-lock.js';
import type { ConcreteProvider, ResolvedOptions } from '../options.js';
import type { RunIdentity } from '../run-identity.js';
import { projectKey, type ServerOptions } from '../server-key.js';
import { readJson, writeJson } from '../state-file.js';
import { describeDockerTarget } from './docker.js';

const log = createDebug('provider');

/** How long `auto` waits for a Docker engine's answer before choosing `embedded`. */
export const ENGINE_CHECK_MS = 1_000;

/** What `auto` decided for a run, and why; every worker of the run reads the same decision. */
export interface ProviderChoice {
  runId: string;
  provider: ConcreteProvider;
  reason: string;
}

function isChoice(value: unknown): boolean {
  const v = value as Partial<ProviderChoice> | null;
  return !!v && typeof v.runId === 'string' && (v.provider === 'docker' || v.provider === 'embedded' || v.provider === 'external');
}

/** One GET /_ping over a unix socket or plain TCP; other transports (ssh, TLS) ask dockerode. */
function pingSocket(target: { socketPath: string } | { host: string; port: number }, timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const req = request({ ...target, path: '/_ping', method: 'GET', timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode === 200 ? undefined : `HTTP ${res.statusCode}`);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    req.end();
  });
}

/** Whether a Docker engine answers at `DOCKER_HOST` (or the default socket): `undefined` when it does, else why not. */
export async function dockerEngineProblem(env: Record<string, string | undefined> = process.env, timeoutMs = ENGINE_CHECK_MS): Promise<string | undefined> {
  const host = env.DOCKER_HOST;
  if (!host || host.startsWith('unix://')) return pingSocket({ socketPath: host ? host.slice('unix://'.length) : '/var/run/docker.sock' }, timeoutMs);
  if (host.startsWith('tcp://') && !env.DOCKER_TLS_VERIFY && !env.DOCKER_CERT_PATH) {
    const url = new URL(host);
    return pingSocket({ host: url.hostname, port: Number(url.port) || 2375 }, timeoutMs);
  }
  try {
    const { DockerProvider } = await import('./docker.js');
    await DockerProvider.connect(timeoutMs);
    return undefined;
  } catch (err) {
    return (err as Error).message.split('\n')[0];
  }
}

async function decide(options: ResolvedOptions): Promise<Omit<ProviderChoice, 'runId'>> {
  if (options.provider !== 'auto') return { provider: options.provider, reason: `chosen by ${options.providerSource}` };
  if (options.url) return { provider: 'external', reason: 'PGDOCK_URL (the url option) is set' };
  const started = Date.now();
  const problem = await dockerEngineProblem();
  const target = describeDockerTarget();
  if (!problem) return { provider: 'docker', reason: `a Docker engine answered at ${target} in ${Date.now() - started} ms` };
  return { provider: 'embedded', reason: `no Docker engine answered at ${target} (${problem}); set PGDOCK_PROVIDER to choose` };
}

function choiceFile(options: ResolvedOptions): string {
  return join(options.stateDir, `${projectKey(options)}-provider.json`);
}

/**
 * Turns `auto` into a provider, once per run: the first process of a run decides (a Docker ping of
 * at most a second) and prints one line saying what and why; the others read the same decision.
 */
export async function chooseProvider(options: ResolvedOptions, run: RunIdentity): Promise<ServerOptions> {
  const file = choiceFile(options);
  mkdirSync(options.stateDir, { recursive: true, mode: 0o700 });
  const choice = await withFileLock(
    file,
    async () => {
      const known = readJson<ProviderChoice>(file, isChoice);
      if (known?.runId === run.runId && (options.provider === 'auto' || known.provider === options.provider)) return known;
      const fresh: ProviderChoice = { runId: run.runId, ...(await decide(options)) };
      writeJson(file, fresh);
      process.stderr.write(`pgdock: using the ${fresh.provider} provider: ${fresh.reason}\n`);
      log('run %s: %s (%s)', run.runId, fresh.provider, fresh.reason);
      return fresh;
    },
    { timeoutMs: options.lockTimeout },
  );
  return { ...options, provider: choice.provider };
}

/** At the end of a run: forget its decision (the next run asks again). */
export function forgetProviderChoice(options: ResolvedOptions, runId: string): void {
  const file = choiceFile(options);
  if (readJson<ProviderChoice>(file, isChoice)?.runId === runId) rmSync(file, { force: true });
}
