import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ErrorCodes, PgdockError } from '../../lib/errors.js';
import { STALE_LOCK_MS, withFileLock } from '../../lib/file-lock.js';

const fileLockModule = fileURLToPath(new URL('../../lib/file-lock.js', import.meta.url));

/** A separate process that takes the lock and holds it until killed. */
function holdLockInChild(file: string, holderFile?: string): ReturnType<typeof spawn> {
  const code = `import { withFileLock } from ${JSON.stringify(fileLockModule)};
await withFileLock(${JSON.stringify(file)}, async () => { process.stdout.write('locked\\n'); await new Promise(() => setInterval(() => {}, 1000)); }, { timeoutMs: 5000, holderFile: ${JSON.stringify(holderFile)} });`;
  return spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
}

describe('withFileLock across processes', function () {
  this.timeout(30_000);
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pgdock-lock-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('excludes: a waiter gets in only after the holder leaves', async function () {
    const file = join(dir, 'state.json');
    const order: string[] = [];
    await Promise.all([
      withFileLock(file, async () => {
        order.push('a-in');
        await new Promise((r) => setTimeout(r, 200));
        order.push('a-out');
      }, { timeoutMs: 5000 }),
      new Promise((r) => setTimeout(r, 20)).then(() => withFileLock(file, async () => void order.push('b-in'), { timeoutMs: 5000 })),
    ]);
    expect(order).to.deep.equal(['a-in', 'a-out', 'b-in']);
  });

  it('a lock left by a SIGKILLed process is taken over within seconds', async function () {
    const file = join(dir, 'state.json');
    const child = holdLockInChild(file);
    await new Promise<void>((resolve) => child.stdout!.once('data', () => resolve()));
    child.kill('SIGKILL');
    const killedAt = Date.now();
    await withFileLock(file, async () => {}, { timeoutMs: 15_000 });
    const waited = Date.now() - killedAt;
    expect(waited).to.be.at.most(STALE_LOCK_MS + 2_000);
    expect(existsSync(`${file}.lock`), 'released afterwards').to.equal(false);
  });

  it('a live holder: ERR_PGDOCK_LOCK_TIMEOUT naming the lock and the holder pid', async function () {
    const file = join(dir, 'state.json');
    const holderFile = join(dir, 'holder');
    const child = holdLockInChild(file, holderFile);
    await new Promise<void>((resolve) => child.stdout!.once('data', () => resolve()));
    try {
      await withFileLock(file, async () => {}, { timeoutMs: 300, holderFile });
      expect.fail('should time out');
    } catch (err) {
      expect(err).to.be.instanceOf(PgdockError);
      expect((err as PgdockError).code).to.equal(ErrorCodes.LOCK_TIMEOUT);
      expect((err as PgdockError).message).to.contain(`${file}.lock`);
      expect((err as PgdockError).message).to.contain(`held by pid ${child.pid}`);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
