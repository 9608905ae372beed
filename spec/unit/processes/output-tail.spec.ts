import { expect } from 'chai';
import { OutputTail, plainPattern, TAIL_LINES } from '../../../lib/processes/output-tail.js';

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

  it('plainPattern drops g and y (a global RegExp would remember where it stopped); a string is literal', function () {
    const pattern = plainPattern(/job (\d+)/g);
    expect(pattern.flags).to.equal('');
    expect('job 1'.match(pattern)?.[1]).to.equal('1');
    expect('job 1'.match(pattern)?.[1]).to.equal('1');
    expect(plainPattern('a.b').test('axb')).to.equal(false);
  });
});
