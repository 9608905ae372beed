import { expect } from 'chai';
import postgres, { type Sql } from 'postgres';
import { ErrorCodes, PgdockError } from '../../../lib/errors.js';
import { currentOwner, findMarked, type SchemaMark } from '../../../lib/isolation/marks.js';
import { buildingName, createNonce } from '../../../lib/isolation/names.js';
import { dropDatabase } from '../../../lib/isolation/sql.js';
import { ensureTemplate, type DatabaseLogin, type TemplateSpec } from '../../../lib/isolation/template.js';

function loginOf(url: string): DatabaseLogin {
  const u = new URL(url);
  return { host: u.hostname, port: Number(u.port), user: decodeURIComponent(u.username), password: decodeURIComponent(u.password), database: u.pathname.slice(1) };
}

describe('ensureTemplate on the real server', function () {
  let admin: Sql;
  let name: string;
  let builds: number;
  let spec: (over?: Partial<TemplateSpec>) => TemplateSpec;

  beforeEach(function () {
    admin = postgres(this.pg.url, { max: 3, onnotice: () => {} });
    name = `pgdock_wtpl_spec${createNonce()}`;
    builds = 0;
    const login = loginOf(this.pg.url);
    const mark: SchemaMark = { pgdock: 1, state: 'pool', owner: currentOwner('template-spec'), key: 'spec', pair: 'template' };
    spec = (over = {}) => ({
      name,
      mark,
      login,
      log: () => {},
      build: async (db) => {
        builds++;
        await db`create table built (id int)`;
      },
      ...over,
    });
  });

  afterEach(async function () {
    await dropDatabase(admin, name);
    await dropDatabase(admin, buildingName(name));
    await admin.end({ timeout: 1 });
  });

  async function state(database: string) {
    const [row] = await admin<{ acl: string | null }[]>`select datacl::text as acl from pg_database where datname = ${database}`;
    return row && { acl: row.acl, mark: (await findMarked(admin, 'database', database))?.mark };
  }

  it('two processes at once: built once, under the _building name, renamed into place, marked and private', async function () {
    let sawBuilding = false;
    const build: TemplateSpec['build'] = async (db, login) => {
      builds++;
      sawBuilding = login.database === buildingName(name);
      await db`create table built (id int)`;
    };
    await Promise.all([ensureTemplate(admin, spec({ build })), ensureTemplate(admin, spec({ build }))]);
    expect(builds, 'the second found it built').to.equal(1);
    expect(sawBuilding).to.equal(true);
    const built = await state(name);
    expect(built?.mark).to.deep.include({ pair: 'template', key: 'spec' });
    expect(built?.acl ?? '', 'no grant to PUBLIC (an entry starting with =)').not.to.match(/[{,]=/);
    expect(await state(buildingName(name))).to.equal(undefined);
    await ensureTemplate(admin, spec());
    expect(builds, 'must fail: built again').to.equal(1);
  });

  it('with failure: the build fails once, the run\'s others get the recorded error, another run builds again', async function () {
    const failure = (err: unknown) => new PgdockError(ErrorCodes.PREPARE_FAILED, `setup broke: ${(err as Error).message}`, 'fix it');
    const broken = spec({ failure, build: async () => void (builds++, await Promise.reject(new Error('boom'))) });
    const first = await ensureTemplate(admin, broken).then(() => undefined, (e: unknown) => e as PgdockError);
    expect(first).to.be.instanceOf(PgdockError).with.property('code', ErrorCodes.PREPARE_FAILED);
    expect((await state(buildingName(name)))?.mark).to.deep.include({ pair: 'template-failed' });
    const second = await ensureTemplate(admin, broken).then(() => undefined, (e: unknown) => e as PgdockError);
    expect(builds, 'the same run does not build again').to.equal(1);
    expect(second?.code).to.equal(ErrorCodes.PREPARE_FAILED);
    expect(second?.message).to.equal(first!.message);
    await ensureTemplate(admin, spec({ failure, mark: { ...broken.mark, owner: currentOwner('another-run') } }));
    expect(builds, 'another run builds').to.equal(2);
    expect((await state(name))?.mark?.pair).to.equal('template');
  });

  it('without failure: the error is thrown as it is and the next call builds again', async function () {
    const err = await ensureTemplate(admin, spec({ build: async () => void (builds++, await Promise.reject(new Error('raw'))) })).then(() => undefined, (e: unknown) => e);
    expect(err).to.be.instanceOf(Error).with.property('message', 'raw');
    expect((await state(buildingName(name)))?.mark, 'not marked: nothing to replay').to.equal(undefined);
    await ensureTemplate(admin, spec());
    expect(builds).to.equal(2);
    expect((await state(name))?.mark?.pair).to.equal('template');
  });
});
