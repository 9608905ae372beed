import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

/** A second local user made for a spec (planted-state cases), removed by `remove()`. */
export interface LocalUser {
  name: string;
  uid: number;
  gid: number;
  /** Runs a command as this user, synchronously. */
  run(command: string, args: string[]): string;
  remove(): void;
}

/** Makes a throwaway local user with useradd (needs root); `undefined` where that cannot be done. */
export function makeLocalUser(): LocalUser | undefined {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return undefined;
  const name = `pgdockf${randomBytes(4).toString('hex')}`;
  try {
    execFileSync('useradd', ['--no-create-home', '--shell', '/usr/sbin/nologin', '--comment', 'pgdock fault spec (temporary)', name], { stdio: 'ignore' });
  } catch {
    return undefined;
  }
  const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8' }).trim());
  return {
    name,
    uid,
    gid,
    run: (command, args) => execFileSync(command, args, { uid, gid, encoding: 'utf8', cwd: '/' }),
    remove: () => {
      try {
        execFileSync('pkill', ['-KILL', '-u', name], { stdio: 'ignore' });
      } catch {
        // nothing of theirs runs
      }
      execFileSync('userdel', [name], { stdio: 'ignore' });
    },
  };
}
