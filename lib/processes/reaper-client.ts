// Covered by spec/integration/processes/orphan-reaper.spec.ts (the owner SIGKILLed: its groups are stopped).
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createDebug } from '../debug.js';

const log = createDebug('processes');

let reaper: ChildProcess | undefined;
let failed = false;

/**
 * This process's watchdog (orphan-reaper.ts), started on first use: detached (its own session, so
 * the terminal's Ctrl-C does not reach it) and unreferenced (this process exits as if it were not
 * there). It holds the read end of a pipe only this process writes to.
 */
function ensureReaper(): ChildProcess | undefined {
  if (reaper || failed || process.platform === 'win32') return reaper;
  try {
    const script = fileURLToPath(new URL('./orphan-reaper.js', import.meta.url));
    const child = spawn(process.execPath, [script], { detached: true, stdio: ['pipe', 'ignore', 'ignore'], cwd: '/', env: {} });
    child.on('error', (err) => {
      log('the orphan reaper failed: %s', err.message);
      failed = true;
      reaper = undefined;
    });
    child.stdin?.on('error', () => {}); // a reaper gone early: the in-process guards still run
    child.unref();
    (child.stdin as unknown as { unref?: () => void } | null)?.unref?.();
    reaper = child;
  } catch (err) {
    log('cannot start the orphan reaper: %s', (err as Error).message);
    failed = true;
  }
  return reaper;
}

/** Records a started group with the watchdog: should this process die, the group is stopped. */
export function watchGroup(pgid: number, startTime: string | undefined, graceMs: number): void {
  if (startTime === undefined) return; // no /proc: nothing the reaper could check
  ensureReaper()?.stdin?.write(`+${pgid} ${startTime} ${Math.round(graceMs)}\n`);
}

/** The group is gone: the watchdog forgets it. */
export function forgetGroup(pgid: number): void {
  reaper?.stdin?.write(`-${pgid}\n`);
}
