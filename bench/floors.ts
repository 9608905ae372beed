// The start-up floors every benchmark compares against, and the fresh-process timing they share:
// a raw `docker run` polled until its first query answers; a child process that reports when it answered.
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { SPEED_ARGS } from '../lib/server/postgres-args.js';
import { firstQuery } from './first-query.js';

const run = promisify(execFile);
export const PGDATA = '/var/lib/postgresql/data';

/**
 * The lower bound of a cold start: `docker run` by hand (tmpfs data folder, pgdock's speed settings),
 * then a new connection every 15 ms until `select 1` answers. Removes the container before returning.
 */
export async function rawDockerRun(image: string, labels: Record<string, string> = { 'pgdock-bench': 'raw' }): Promise<number> {
  const started = performance.now();
  const labelArgs = Object.entries(labels).flatMap(([k, v]) => ['--label', `${k}=${v}`]);
  const { stdout } = await run('docker', ['run', '-d', '-p', '127.0.0.1::5432', '-e', 'POSTGRES_PASSWORD=bench', '--tmpfs', PGDATA,
    ...labelArgs, image, 'postgres', ...SPEED_ARGS]);
  const id = stdout.trim();
  try {
    const port = (await run('docker', ['port', id, '5432/tcp'])).stdout.trim().split('\n')[0]!.split(':').pop();
    await firstQuery(`postgres://postgres:bench@127.0.0.1:${port}/postgres`, Date.now() + 60_000);
    return performance.now() - started;
  } finally {
    await run('docker', ['rm', '-f', '-v', id]);
  }
}

/** What a timing child printed (one JSON line), plus the wall clock from spawn to that line. */
export type ChildReport<T> = T & { wallMs: number };

/** Runs `node script` and resolves with its first stdout line (JSON) and the time from spawn until that line arrived. */
export function timedChild<T extends object>(script: string, env: NodeJS.ProcessEnv): Promise<ChildReport<T>> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script], { env, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    let answeredAt = 0;
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (!answeredAt && out.includes('\n')) answeredAt = performance.now();
    });
    child.on('close', (code) => {
      if (code !== 0 || !answeredAt) return reject(new Error(`${script} exited ${code}`));
      resolve({ wallMs: answeredAt - started, ...(JSON.parse(out.split('\n')[0]!) as T) });
    });
  });
}

/** What bench/attach-child.ts reports: a fresh process that loads pgdock, acquires the server and runs a first query. */
export interface AttachTiming {
  sinceProcessStartMs: number;
  sinceScriptStartMs: number;
  sinceAcquireCallMs: number;
  containerId: string;
}
