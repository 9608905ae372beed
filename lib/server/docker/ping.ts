// Covered by spec/unit/server/docker/ping.spec.ts.
import { ErrorCodes, PgdockError } from '../../errors.js';

/** Which engine dockerode will talk to, in the words of `DOCKER_HOST`. */
export function describeDockerTarget(env: Record<string, string | undefined> = process.env): string {
  return env.DOCKER_HOST ? `DOCKER_HOST=${env.DOCKER_HOST}` : 'the default socket /var/run/docker.sock';
}

/** `ERR_PGDOCK_DOCKER_UNAVAILABLE`, naming the socket or host tried and how to get an engine there. */
export function dockerUnavailable(detail: string, env: Record<string, string | undefined> = process.env): PgdockError {
  const target = describeDockerTarget(env);
  return new PgdockError(
    ErrorCodes.DOCKER_UNAVAILABLE,
    `No Docker engine answered at ${target}: ${detail}.`,
    env.DOCKER_HOST
      ? 'Start the engine behind DOCKER_HOST, or unset DOCKER_HOST to use the local socket.'
      : 'Start Docker (e.g. `sudo dockerd &` or Docker Desktop), or set DOCKER_HOST to a reachable engine.',
    { dockerTarget: target },
  );
}

/**
 * One call to the engine that must answer within `timeoutMs`; anything else (no answer, a refused
 * socket) becomes `ERR_PGDOCK_DOCKER_UNAVAILABLE`. Errors `passThrough` accepts are rethrown as they are.
 */
export async function askEngine<T>(call: () => Promise<T>, timeoutMs: number, passThrough: (err: unknown) => boolean = () => false): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      call(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } catch (err) {
    if (passThrough(err)) throw err;
    throw dockerUnavailable((err as NodeJS.ErrnoException).code ?? (err as Error).message);
  } finally {
    clearTimeout(timer);
  }
}
