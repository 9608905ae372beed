import { expect } from 'chai';
import { OutputTail, plainPattern, TAIL_LINES } from '../../../lib/processes/output-tail.js';
import { eventually } from '../../support/process-listing.js';

describe('processes/output-tail: a process\'s recent lines', function () {
  it('cuts chunks into lines per stream, keeps the last ones, flushes an unfinished line at the end', function () {
    const tail = new OutputTail((line) => line.replace('secret', '***'));
    tail.write('stdout', 'one\ntw');
    tail.write('stderr', 'err secret\n');
    tail.write('stdout', 'o\r\nthree');
    expect(tail.text()).to.equal('one\nerr ***\ntwo');
    tail.end('stdout');
    expect(tail.text(2)).to.equal('two\nthree');
    for (let i = 0; i < TAIL_LINES + 10; i++) tail.write('stdout', `line ${i}\n`);
    expect(tail.text().split('\n')).to.have.length(TAIL_LINES);
    expect(tail.total).to.equal(TAIL_LINES + 14);
  });

  it('watchers see past lines first, then new ones, until they say stop', function () {
    const tail = new OutputTail((line) => line);
    tail.write('stdout', 'a\nb\n');
    const seen: string[] = [];
    tail.watch((line) => (seen.push(line), line === 'c'));
    tail.write('stdout', 'c\nd\n');
    expect(seen).to.deep.equal(['a', 'b', 'c']);
  });

  it('watchers see lines as printed; must fail: what is shown is redacted', function () {
    const tail = new OutputTail((line) => line.replace('s3cret', '***'));
    tail.write('stdout', 'key s3cret\n');
    const seen: string[] = [];
    tail.watch((line) => (seen.push(line), false));
    tail.write('stdout', 'again s3cret\n');
    expect(seen).to.deep.equal(['key s3cret', 'again s3cret']);
    expect(tail.text()).to.equal('key ***\nagain ***');
  });

  it('an unfinished last line (a prompt) is a line once its stream is quiet: watchers see it, text() ends with it', async function () {
    const tail = new OutputTail((line) => line, 30);
    const seen: string[] = [];
    tail.watch((line) => (seen.push(line), false));
    tail.write('stdout', 'booting\nready> ');
    expect(seen, 'must fail half: not before the quiet period').to.deep.equal(['booting']);
    expect(await eventually(() => seen.length === 2, 5_000)).to.equal(true);
    expect(seen).to.deep.equal(['booting', 'ready> ']);
    expect(tail.text()).to.equal('booting\nready> ');
    expect(tail.total).to.equal(2);
    const late: string[] = [];
    tail.watch((line) => (late.push(line), false));
    expect(late, 'a watcher added later sees it among the past lines').to.deep.equal(['booting', 'ready> ']);
    tail.write('stdout', 'ok\n');
    expect(tail.text()).to.equal('booting\nready> ok');
    expect(tail.total).to.equal(2);
  });

  it('must fail: a line still coming in chunks is not seen half (port 80 of "port 8080")', async function () {
    const tail = new OutputTail((line) => line, 30);
    const seen: string[] = [];
    tail.watch((line) => (seen.push(line), false));
    tail.write('stdout', 'listening on port 80');
    tail.write('stdout', '80\n');
    await new Promise((r) => setTimeout(r, 100));
    expect(seen).to.deep.equal(['listening on port 8080']);
    expect(tail.text()).to.equal('listening on port 8080');
  });

  it('plainPattern drops g and y (a global RegExp would remember where it stopped); a string is literal', function () {
    const pattern = plainPattern(/job (\d+)/g);
    expect(pattern.flags).to.equal('');
    expect('job 1'.match(pattern)?.[1]).to.equal('1');
    expect('job 1'.match(pattern)?.[1]).to.equal('1');
    expect(plainPattern('a.b').test('axb')).to.equal(false);
  });
});
