import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCodes } from '../../../lib/errors.js';
import { pgdockErrorFrom } from '../../support/should-fail.js';
import { DEFAULT_IMAGE, resolveOptions } from '../../../lib/config/options.js';
import { DEFAULT_MAX_JOBS } from '../../../lib/config/connection-sizing.js';
import { splitArgs } from '../../../lib/config/parsers.js';
import { defaultJobs } from '../../../lib/config/default-jobs.js';


describe('resolveOptions', function () {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'pgdock-options-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('defaults: official image, provider auto, reuse on locally and off in CI', function () {
    const local = resolveOptions({ projectRoot: root }, {});
    expect(local).to.include({ image: DEFAULT_IMAGE, provider: 'auto', providerSource: 'defaults', url: undefined, reuse: true, startupTimeout: 60_000, lockTimeout: 90_000 });
    expect(local.postgresArgs).to.deep.equal([]);
    expect(resolveOptions({ projectRoot: root }, { CI: 'true' }).reuse).to.equal(false);
    expect(resolveOptions({ projectRoot: root }, { CI: 'false' }).reuse).to.equal(true);
  });

  it('layers: package.json#pgdock < PGDOCK_* env < arguments', function () {
    writeFileSync(join(root, 'package.json'), JSON.stringify({ pgdock: { image: 'from-file:1', reuse: false, startupTimeout: 1000 } }));
    expect(resolveOptions({}, {}, root)).to.include({ image: 'from-file:1', reuse: false, startupTimeout: 1000, projectRoot: root });
    expect(resolveOptions({}, { PGDOCK_IMAGE: 'from-env:1', PGDOCK_REUSE: 'yes' }, root)).to.include({ image: 'from-env:1', reuse: true });
    expect(resolveOptions({ image: 'from-args:1' }, { PGDOCK_IMAGE: 'from-env:1' }, root).image).to.equal('from-args:1');
    expect(resolveOptions({}, { PGDOCK_REUSE: 'true', CI: '1' }, root).reuse, 'PGDOCK_REUSE beats CI').to.equal(true);
  });

  it('finds the project root from a nested working directory', function () {
    writeFileSync(join(root, 'package.json'), '{}');
    const nested = mkdtempSync(join(root, 'sub-'));
    expect(resolveOptions({}, {}, nested).projectRoot).to.equal(root);
  });

  it('splits PGDOCK_POSTGRES_ARGS like a shell, quotes included', function () {
    expect(resolveOptions({ projectRoot: root }, { PGDOCK_POSTGRES_ARGS: "-c wal_level=logical -c 'search_path=a, b'" }).postgresArgs)
      .to.deep.equal(['-c', 'wal_level=logical', '-c', 'search_path=a, b']);
    expect(splitArgs('  ')).to.deep.equal([]);
    expect(splitArgs('-c x=""')).to.deep.equal(['-c', 'x=']);
  });

  it('rejects bad values with the option, the value, its source and a hint', function () {
    const cases: Array<[() => unknown, RegExp]> = [
      [() => resolveOptions({ projectRoot: root }, { PGDOCK_REUSE: 'maybe' }), /`reuse` option to be a boolean .*got `"maybe"` \(string\) \(from PGDOCK_REUSE\)/],
      [() => resolveOptions({ projectRoot: root, startupTimeout: -5 }, {}), /`startupTimeout` option to be a positive whole number of milliseconds, got `-5` \(number\)/],
      [() => resolveOptions({ projectRoot: root, image: 42 as unknown as string }, {}), /`image` option to be a non-empty string, got `42` \(number\)/],
      [() => resolveOptions({ projectRoot: root }, { PGDOCK_PROVIDER: 'kubernetes' }), /`provider` option to be one of auto, docker, embedded, external/],
      [() => resolveOptions({ projectRoot: root }, { PGDOCK_POSTGRES_ARGS: "-c 'open" }), /balanced quotes/],
      [() => resolveOptions({ projectRoot: root, imag: 'x' } as never, {}), /`imag` is not a pgdock option \(from arguments\); did you mean `image`\?/],
      [() => resolveOptions({ projectRoot: root, zzz: 1 } as never, {}), /`zzz` is not a pgdock option \(from arguments\); the options are image, provider, url, reuse/],
    ];
    for (const [fn, message] of cases) {
      const err = pgdockErrorFrom(fn);
      expect(err.code).to.equal(ErrorCodes.INVALID_OPTION);
      expect(err.message).to.match(message);
      expect(err.message).to.match(/\nHint: /);
    }
  });

  it('provider and url: external needs a URL; a bad URL is rejected without echoing it (it holds a password)', function () {
    expect(resolveOptions({ projectRoot: root }, { PGDOCK_PROVIDER: 'Embedded' })).to.include({ provider: 'embedded', providerSource: 'PGDOCK_PROVIDER' });
    const url = 'postgres://app:s3cret@db.example:6543/app';
    expect(resolveOptions({ projectRoot: root }, { PGDOCK_PROVIDER: 'external', PGDOCK_URL: url })).to.include({ provider: 'external', url });
    const missing = pgdockErrorFrom(() => resolveOptions({ projectRoot: root }, { PGDOCK_PROVIDER: 'external' }));
    expect(missing.code).to.equal(ErrorCodes.INVALID_OPTION);
    expect(missing.message).to.match(/external provider needs the server's URL[\s\S]*Hint: Set PGDOCK_URL=/);
    for (const bad of ['mysql://root:s3cret@db/x', 'postgres://root:s3cret@', 'not a url s3cret']) {
      const err = pgdockErrorFrom(() => resolveOptions({ projectRoot: root }, { PGDOCK_URL: bad }));
      expect(err.code).to.equal(ErrorCodes.INVALID_OPTION);
      expect(err.message).to.contain('`url` option to be a postgres:// URL');
      expect(err.message).to.not.contain('s3cret');
    }
  });

  it('worker databases: off by default; names, role, mapped env and pool size validated; the password never echoed', function () {
    const off = resolveOptions({ projectRoot: root }, {});
    expect(off).to.include({ workerDatabase: false, workerDatabaseName: 'pgdock_w{worker}_{run}', workerUser: undefined, workerPoolSize: 10 });
    const on = resolveOptions({ projectRoot: root }, {
      PGDOCK_WORKER_DATABASE: 'true', PGDOCK_WORKER_DATABASE_NAME: 'shop_test_{worker}_{pid}', PGDOCK_WORKER_USER: 'shop',
      PGDOCK_WORKER_PASSWORD: 'p4ss', PGDOCK_WORKER_ENV: 'DB_NAME=database, DB_URL=url', PGDOCK_WORKER_SETUP: 'db/schema.sql,db/migrations',
    });
    expect(on).to.include({ workerDatabase: true, workerDatabaseName: 'shop_test_{worker}_{pid}', workerUser: 'shop', workerPassword: 'p4ss' });
    expect(on.workerEnv).to.deep.equal({ DB_NAME: 'database', DB_URL: 'url' });
    expect(on.workerSetup).to.deep.equal([join(root, 'db/schema.sql'), join(root, 'db/migrations')]);
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ PGDOCK_WORKER_DATABASE_NAME: 'shop-{worker}' }, /`workerDatabaseName` option to be a lower-case Postgres name/],
      [{ PGDOCK_WORKER_DATABASE_NAME: 'shop_{job}' }, /using only \{worker\}, \{run\} and \{pid\}/],
      [{ PGDOCK_WORKER_DATABASE_NAME: `a${'b'.repeat(50)}_{run}_{pid}` }, /at most 63 once filled in/],
      [{ PGDOCK_WORKER_USER: 'postgres' }, /names postgres, pgdock's own admin role[\s\S]*Hint: Leave workerUser unset/],
      [{ PGDOCK_WORKER_USER: 'Shop' }, /`workerUser` option to be a lower-case Postgres name/],
      [{ PGDOCK_WORKER_ENV: 'DB_NAME=schema' }, /`workerEnv` option to be variables mapped to one of url, host, port, user, password, database/],
      [{ PGDOCK_WORKER_POOL_SIZE: '0' }, /`workerPoolSize` option to be a whole number from 1 to 1000/],
    ];
    for (const [env, message] of cases) {
      const err = pgdockErrorFrom(() => resolveOptions({ projectRoot: root }, env));
      expect(err.code).to.equal(ErrorCodes.INVALID_OPTION);
      expect(err.message).to.match(message);
    }
    const secret = pgdockErrorFrom(() => resolveOptions({ projectRoot: root, workerPassword: 12345678 as unknown as string }, {}));
    expect(secret.message).to.contain('`workerPassword` option to be a non-empty string');
    expect(secret.message).to.not.contain('12345678');
  });

  it('workerRoleAttributes: CREATEDB, CREATEROLE, REPLICATION, BYPASSRLS in any case, SUPERUSER only by that exact name; each bad one named', function () {
    const resolve = (raw: unknown, env: Record<string, string> = {}) =>
      resolveOptions({ projectRoot: root, workerUser: 'shop', ...(raw === undefined ? {} : { workerRoleAttributes: raw as never }) }, env);
    expect(resolve(undefined).workerRoleAttributes, 'none by default').to.deep.equal([]);
    expect(resolve(undefined, { PGDOCK_WORKER_ROLE_ATTRIBUTES: 'createrole, CreateDB CREATEDB' }).workerRoleAttributes, 'env: commas or spaces, any case, each once, in a fixed order')
      .to.deep.equal(['CREATEDB', 'CREATEROLE']);
    expect(resolve(['BYPASSRLS', 'SUPERUSER', 'replication']).workerRoleAttributes).to.deep.equal(['REPLICATION', 'BYPASSRLS', 'SUPERUSER']);
    writeFileSync(join(root, 'package.json'), JSON.stringify({ pgdock: { workerUser: 'shop', workerRoleAttributes: ['CREATEDB'] } }));
    expect(resolveOptions({}, {}, root).workerRoleAttributes, 'from package.json#pgdock').to.deep.equal(['CREATEDB']);
    rmSync(join(root, 'package.json'));

    const cases: Array<[unknown, RegExp]> = [
      [['CREATEDBS'], /got `CREATEDBS` \(did you mean `CREATEDB`\?\) \(from arguments\)/],
      [['superuser'], /got `superuser` \(did you mean `SUPERUSER`\? superuser rights are given only when asked for by that exact name\)/],
      [['Superuser'], /got `Superuser` \(did you mean `SUPERUSER`\?/],
      [['SUPER'], /got `SUPER` \(from arguments\)/],
      [['ALL'], /got `ALL` \(from arguments\)/],
      [['NOCREATEDB'], /got `NOCREATEDB` \(the role has none of them unless listed: leave it out\)/],
      [['login'], /got `login` \(the role always has LOGIN\)/],
      ['CREATEDB, WIBBLE, superusr', /list only CREATEDB, CREATEROLE, REPLICATION, BYPASSRLS, SUPERUSER; got `WIBBLE`, `superusr` \(did you mean `SUPERUSER`\?/],
      [42, /`workerRoleAttributes` option to be a list of role attributes \(e\.g\. CREATEDB,CREATEROLE\), got `42` \(number\)/],
      [[true], /a list of role attributes .*got `\[true\]` \(array\)/],
    ];
    for (const [raw, message] of cases) {
      const err = pgdockErrorFrom(() => resolve(raw));
      expect(err.code).to.equal(ErrorCodes.INVALID_OPTION);
      expect(err.message).to.match(message);
      expect(err.hint).to.contain('SUPERUSER written exactly so');
    }
    const fromEnv = pgdockErrorFrom(() => resolve(undefined, { PGDOCK_WORKER_ROLE_ATTRIBUTES: 'CREATEDB,CRATEROLE' }));
    expect(fromEnv.message).to.match(/got `CRATEROLE` \(did you mean `CREATEROLE`\?\) \(from PGDOCK_WORKER_ROLE_ATTRIBUTES\)/);

    const noRole = pgdockErrorFrom(() => resolveOptions({ projectRoot: root }, { PGDOCK_WORKER_ROLE_ATTRIBUTES: 'CREATEDB' }));
    expect(noRole.code).to.equal(ErrorCodes.INVALID_OPTION);
    expect(noRole.message).to.match(/`workerRoleAttributes` option \(from PGDOCK_WORKER_ROLE_ATTRIBUTES\) gives rights to the role `workerUser` names, and none is set[\s\S]*Hint: Set workerUser \(PGDOCK_WORKER_USER\)/);
    expect(resolveOptions({ projectRoot: root }, { PGDOCK_WORKER_ROLE_ATTRIBUTES: ' , ' }).workerRoleAttributes, 'an empty list needs no role').to.deep.equal([]);
  });

  it('workerRoleAttributes problems are listed with the others, in one message', function () {
    const err = pgdockErrorFrom(() => resolveOptions({ projectRoot: root }, { PGDOCK_WORKER_USER: 'shop', PGDOCK_WORKER_ROLE_ATTRIBUTES: 'CREATEDB,superuser', PGDOCK_WORKER_ROLE_ATTRIBUTE: 'x', PGDOCK_REUSE: 'maybe' }));
    const lines = err.summary.split('\n');
    expect(lines[0]).to.equal('3 pgdock options are invalid:');
    expect(lines).to.include('  - The environment variable PGDOCK_WORKER_ROLE_ATTRIBUTE is not a pgdock option (from the environment); did you mean PGDOCK_WORKER_ROLE_ATTRIBUTES?');
    expect(err.summary).to.contain('  - Expected the `workerRoleAttributes` option to list only CREATEDB, CREATEROLE, REPLICATION, BYPASSRLS, SUPERUSER; got `superuser` (did you mean `SUPERUSER`?');
    expect(err.summary, 'its own hint, under its line').to.contain('\n      Fix PGDOCK_WORKER_ROLE_ATTRIBUTES: any of CREATEDB');
    expect(err.summary).to.contain('`reuse` option to be a boolean');
  });

  it('worker databases: max_connections fits maxJobs × (pool + pgdock\'s), whatever this run\'s jobs, unless set by the user', function () {
    const args = (env: Record<string, string>) => resolveOptions({ projectRoot: root }, { PGDOCK_WORKER_DATABASE: 'true', ...env }).postgresArgs;
    const ceiling = Math.max(DEFAULT_MAX_JOBS, defaultJobs());
    const sized = `max_connections=${Math.ceil((ceiling * 14 + 10) / 50) * 50}`;
    expect(args({}), `${ceiling} × (10 + 4) + 10`).to.deep.equal(['-c', sized]);
    for (const jobs of ['1', '2', '8', '16']) expect(args({ PGDOCK_RUN_JOBS: jobs }), `--jobs ${jobs}: the same server config`).to.deep.equal(['-c', sized]);
    expect(args({ PGDOCK_MAX_JOBS: '8', PGDOCK_WORKER_POOL_SIZE: '20' }), '8 × 24 + 10 = 202').to.deep.equal(['-c', 'max_connections=250']);
    expect(args({ PGDOCK_MAX_JOBS: '4' }), '4 × 14 + 10 = 66 fits the default').to.deep.equal([]);
    expect(args({ PGDOCK_MAX_JOBS: '8', PGDOCK_POSTGRES_ARGS: '-c max_connections=30' })).to.deep.equal(['-c', 'max_connections=30']);
    expect(resolveOptions({ projectRoot: root }, { PGDOCK_MAX_JOBS: '8', PGDOCK_WORKER_POOL_SIZE: '20' }).postgresArgs, 'only with workerDatabase').to.deep.equal([]);
    const sizes = (env: Record<string, string>) => resolveOptions({ projectRoot: root }, env).sizesConnections;
    expect([sizes({ PGDOCK_WORKER_DATABASE: 'true' }), sizes({ PGDOCK_WORKER_DATABASE: 'true', PGDOCK_POSTGRES_ARGS: '-c max_connections=30' }), sizes({})]).to.deep.equal([true, false, false]);
    const maxJobs = resolveOptions({ projectRoot: root }, { PGDOCK_MAX_JOBS: '24' });
    expect([maxJobs.maxJobs, maxJobs.maxJobsSource]).to.deep.equal([24, 'PGDOCK_MAX_JOBS']);
    for (const bad of ['0', '513', '2.5', 'many']) {
      expect(pgdockErrorFrom(() => resolveOptions({ projectRoot: root }, { PGDOCK_MAX_JOBS: bad })).message).to.match(/`maxJobs` option to be a whole number from 1 to 512/);
    }
  });

  it('reads no env at import and none but what it is given', function () {
    expect(resolveOptions({ projectRoot: root }, { PGIMAGE: 'x', PGDOCK_IMAGE: '' }).image, 'empty env is unset; PG* is not ours').to.equal(DEFAULT_IMAGE);
  });

  it('reports every problem at once: bad values, unknown keys and unknown PGDOCK_* variables, from each layer, with near names', function () {
    writeFileSync(join(root, 'package.json'), JSON.stringify({ pgdock: { resue: true, poolSize: 'lots' } }));
    const err = pgdockErrorFrom(() => resolveOptions({ keepFor: 0, pool_size: 2 } as never, { PGDOCK_RESUE: '1', PGDOCK_STARTUP_TIMEOUT: 'soon', PGDOCK_WIBBLE: 'x' }, root));
    expect(err.code).to.equal(ErrorCodes.INVALID_OPTION);
    const file = `${join(root, 'package.json')}#pgdock`;
    const lines = err.summary.split('\n');
    expect(lines).to.deep.equal([
      '7 pgdock options are invalid:',
      `  - \`resue\` is not a pgdock option (from ${file}); did you mean \`reuse\`?`,
      `  - Expected the \`poolSize\` option to be a whole number from 0 to 64, got \`"lots"\` (string) (from ${file}).`,
      '  - The environment variable PGDOCK_RESUE is not a pgdock option (from the environment); did you mean PGDOCK_REUSE?',
      '  - The environment variable PGDOCK_WIBBLE is not a pgdock option (from the environment); pgdock reads no such variable (the README lists them).',
      '  - Expected the `startupTimeout` option to be a positive whole number of milliseconds, got `"soon"` (string) (from PGDOCK_STARTUP_TIMEOUT).',
      '  - `pool_size` is not a pgdock option (from arguments); did you mean `poolSize`?',
      '  - Expected the `keepFor` option to be a positive whole number of milliseconds, got `0` (number) (from arguments).',
    ]);
    expect(err.hint).to.match(/options table in pgdock's README/);
    expect(err.context).to.include({ count: 7, option: 'resue' });
  });

  it('pgdock\'s own variables (PGDOCK_RUN_*, the suite\'s PGDOCK_SPEC_*) and empty ones are not reported', function () {
    const env = { PGDOCK_RUN_ID: 'r', PGDOCK_RUN_PID: '1', PGDOCK_RUN_JOBS: '2', PGDOCK_SPEC_SCRATCH: '/tmp/x', PGDOCK_PROJECT_ROOT: root, PGDOCK_RESUE: '' };
    expect(resolveOptions({}, env).projectRoot).to.equal(root);
  });

  it('an empty PGDOCK_PROJECT_ROOT is unset, like every other variable: the root is found from the working directory', function () {
    writeFileSync(join(root, 'package.json'), '{}');
    const nested = mkdtempSync(join(root, 'sub-'));
    expect(resolveOptions({}, { PGDOCK_PROJECT_ROOT: '' }, nested).projectRoot).to.equal(root);
    expect(pgdockErrorFrom(() => resolveOptions({}, { PGDOCK_PROJECT_ROOT: ' ' }, nested)).summary).to.contain('`projectRoot` option to be a non-empty string');
  });

  it('lists one layer\'s bad values in the options table\'s order', function () {
    const err = pgdockErrorFrom(() => resolveOptions({ projectRoot: root }, { PGDOCK_MAX_JOBS: 'z', PGDOCK_KEEP_FOR: '0', PGDOCK_IMAGE: ' ' }));
    expect(err.context.options).to.equal('image, keepFor, maxJobs');
  });
});
