import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { currentRun } from '../../../lib/coordination/run-identity.js';
import { currentOwner, isSchemaMark, keptMark, markSql, ownerAlive, parseMark, type SchemaMark } from '../../../lib/isolation/marks.js';

const owner = { pid: 42, host: 'h', run: 'r' };
const mark: SchemaMark = { pgdock: 1, state: 'claimed', owner, key: 'k', pair: 'src_a_1', schemas: ['src_a_1', 'dst_a_1'] };

describe('marks', function () {
  it('parseMark takes back what markSql writes, and only pgdock\'s marks', function () {
    const sql = markSql('database', 'pgdock_t_a_1', mark);
    const json = /^comment on database "pgdock_t_a_1" is '(.*)'$/.exec(sql)?.[1];
    expect(json, sql).to.be.a('string');
    expect(json!.startsWith('{"pgdock":1,'), 'listMarked finds marks by this prefix').to.equal(true);
    expect(parseMark(json)).to.deep.equal(mark);
    // must fail: comments that are not marks
    for (const text of [null, undefined, '', 'a comment', '{"pgdock":1}', '{"pgdock":2,"state":"claimed"}', JSON.stringify({ ...mark, state: 'other' }), JSON.stringify({ ...mark, owner: { ...owner, pid: 'x' } })]) {
      expect(parseMark(text), String(text)).to.equal(undefined);
    }
    expect(isSchemaMark({ ...mark, keptUntil: 5 })).to.equal(false);
  });

  it('markSql quotes the name and the JSON', function () {
    expect(markSql('schema', 'we"ird', { ...mark, pair: "o'brien" })).to.match(/^comment on schema "we""ird" is '.*"pair":"o''brien"/);
  });

  it('keptMark keeps everything but the state, and adds the expiry after the rest (the JSON stays in the order it had)', function () {
    const before = Date.now();
    const kept = keptMark(mark, 60_000);
    expect(Object.keys(kept)).to.deep.equal([...Object.keys(mark), 'keptUntil']);
    expect(kept).to.deep.include({ state: 'kept', owner, key: 'k', pair: 'src_a_1' });
    expect(Date.parse(kept.keptUntil!)).to.be.within(before + 60_000, Date.now() + 60_000);
    expect(mark.state, 'the mark given is left as it was').to.equal('claimed');
  });

  it('currentOwner is this process in this run, and alive; a process that ended is not', function () {
    const me = currentOwner();
    expect(me).to.include({ pid: process.pid, host: hostname(), run: currentRun().runId });
    expect(currentOwner('another-run').run).to.equal('another-run');
    expect(ownerAlive(me)).to.equal(true);
    const ended = spawnSync(process.execPath, ['-e', '']).pid;
    expect(ownerAlive({ pid: ended, host: hostname(), run: 'r' }), 'must fail: an ended process').to.equal(false);
    expect(ownerAlive({ pid: ended, host: 'another-host', run: 'r' }), 'another host\'s owner counts as alive').to.equal(true);
    expect(ownerAlive({ ...me, pidStart: 'not its start time' }), 'must fail: a reused pid').to.equal(false);
  });
});
