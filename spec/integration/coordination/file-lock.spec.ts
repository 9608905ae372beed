import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ErrorCodes, PgdockError } from '../../../lib/errors.js';
import { readLockOwner, withFileLock } from '../../../lib/coordination/file-lock.js';

const fileLockModule = fileURLToPath(new URL('../../../lib/coordination/file-lock.js', import.meta.url));

/** A separate process running `body` (ESM, with `withFileLock` in scope). */
function child(body: string): ReturnType<typeof spawn> {
  const code = `import { withFileLock } from ${JSON.stringify(fileLockModule)};\n${body}`;
  return spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
}

/** A separate process that takes the lock and holds it until killed. */
function holdLockInChild(file: string): ReturnType<typeof spawn> {
  return child(`await withFileLock(${JSON.stringify(file)}, async () => { process.stdout.write('locked\\n'); await new Promise(() => setInterval(() => {}, 1000)); }, { timeoutMs: 5000 });`);
}

function lineFrom(proc: ReturnType<typeof spawn>): Promise<void> {
  return new Promise<void>((resolve) => proc.stdout!.once('data', () => resolve()));
}

/** Its exit code, also when it has already exited (an 'exit' listener added late would wait forever). */
function exited(proc: ReturnType<typeof spawn>): Promise<number | null> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve(proc.exitCode);
  return new Promise((resolve) => proc.once('exit', (code) => resolve(code)));
}

describe('withFileLock across processes', function () {
  this.timeout(60_000);
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
    expect(readdirSync(dir), 'nothing left behind').to.deep.equal([]);
  });

  it('a holder whose event loop is blocked for 8 s keeps the lock (no refresh needed)', async function () {
    const file = join(dir, 'state.json');
    const holder = child(`import { execSync } from 'node:child_process';
await withFileLock(${JSON.stringify(file)}, async () => { process.stdout.write('locked\\n'); execSync('sleep 8'); process.stdout.write('done ' + Date.now() + '\\n'); }, { timeoutMs: 5000 });`);
    let out = '';
    holder.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    await new Promise<void>((resolve) => holder.stdout!.once('data', () => resolve()));
    let enteredAt = 0;
    await withFileLock(file, async () => void (enteredAt = Date.now()), { timeoutMs: 20_000 });
    await exited(holder);
    const doneAt = Number(/done (\d+)/.exec(out)?.[1]);
    expect(doneAt, 'the holder finished its blocked section').to.be.greaterThan(0);
    expect(enteredAt, 'the waiter got in only after the blocked holder was done').to.be.at.least(doneAt);
  });

  it('a lock left by a SIGKILLed process is taken over within a second', async function () {
    const file = join(dir, 'state.json');
    const proc = holdLockInChild(file);
    await lineFrom(proc);
    expect(readLockOwner(`${file}.lock`)?.pid, 'the lock names its holder').to.equal(proc.pid);
    proc.kill('SIGKILL');
    await exited(proc);
    const killedAt = Date.now();
    await withFileLock(file, async () => {}, { timeoutMs: 15_000 });
    expect(Date.now() - killedAt).to.be.at.most(1_000);
    expect(existsSync(`${file}.lock`), 'released afterwards').to.equal(false);
  });

  it('garbage where a lock goes (no owner, a malformed owner, a plain file) is never a holder', async function () {
    const file = join(dir, 'state.json');
    for (const plant of [
      () => mkdirSync(`${file}.lock`),
      () => {
        mkdirSync(`${file}.lock`);
        writeFileSync(join(`${file}.lock`, 'owner.json'), 'null');
      },
      () => {
        mkdirSync(`${file}.lock`);
        writeFileSync(join(`${file}.lock`, 'owner.json'), '{"pid": 1, "hostn');
      },
      () => writeFileSync(`${file}.lock`, 'x'),
    ]) {
      plant();
      let ran = false;
      await withFileLock(file, async () => void (ran = true), { timeoutMs: 2_000 });
      expect(ran).to.equal(true);
      expect(existsSync(`${file}.lock`)).to.equal(false);
    }
  });

  it('6 processes × 15 increments through a dead holder\'s lock: every increment counted, never two inside', async function () {
    const file = join(dir, 'state.json');
    const counter = join(dir, 'counter');
    writeFileSync(counter, '0');
    const dead = holdLockInChild(file);
    await lineFrom(dead);
    dead.kill('SIGKILL');
    await exited(dead);
    const workers = Array.from({ length: 6 }, () =>
      child(`import { readFileSync, writeFileSync, mkdirSync, rmdirSync } from 'node:fs';
for (let i = 0; i < 15; i++) {
  await withFileLock(${JSON.stringify(file)}, async () => {
    mkdirSync(${JSON.stringify(join(dir, 'inside'))}); // fails if another process is inside
    const n = Number(readFileSync(${JSON.stringify(counter)}, 'utf8'));
    await new Promise((r) => setTimeout(r, 2));
    writeFileSync(${JSON.stringify(counter)}, String(n + 1));
    rmdirSync(${JSON.stringify(join(dir, 'inside'))});
  }, { timeoutMs: 30000 });
}`),
    );
    const codes = await Promise.all(workers.map(exited));
    expect(codes).to.deep.equal([0, 0, 0, 0, 0, 0]);
    expect(Number(readFileSync(counter, 'utf8'))).to.equal(90);
  });

  it('a live holder: ERR_PGDOCK_LOCK_TIMEOUT naming the lock and the holder pid', async function () {
    const file = join(dir, 'state.json');
    const proc = holdLockInChild(file);
    await lineFrom(proc);
    try {
      await withFileLock(file, async () => {}, { timeoutMs: 300 });
      expect.fail('should time out');
    } catch (err) {
      expect(err).to.be.instanceOf(PgdockError);
      expect((err as PgdockError).code).to.equal(ErrorCodes.LOCK_TIMEOUT);
      expect((err as PgdockError).message).to.contain(`${file}.lock`);
      expect((err as PgdockError).message).to.contain(`held by pid ${proc.pid}`);
    } finally {
      proc.kill('SIGKILL');
    }
  });
});
