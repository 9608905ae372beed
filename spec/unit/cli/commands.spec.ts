import { expect } from 'chai';
import { formatStatus, type ServerStatus, type StatusReport } from '../../../lib/cli/commands.js';

const server: ServerStatus = {
  provider: 'docker',
  id: '0123456789ab',
  image: 'postgres:16',
  key: 'k',
  settings: [],
  config: 'postgres:16, no extra settings',
  state: 'running',
  current: true,
  host: '127.0.0.1',
  port: 55432,
  url: 'postgres://postgres:***@127.0.0.1:55432/postgres',
  ageSeconds: 90,
  leases: [{ runId: 'r', pid: 42, createdAt: 'now' }],
};

// status, down and prune against real servers: spec/e2e/cli-servers.spec.ts and spec/faults/cli-safety.spec.ts.
describe('commands: `pgdock status` as text', function () {
  const report: StatusReport = { provider: 'auto', projectRoot: '/p', reuse: true, servers: [] };

  it('says when the project has no server, and why Docker is missing from the list', function () {
    expect(formatStatus({ ...report, docker: 'no Docker engine answered (ENOENT)' })).to.equal(
      ['project  /p', 'provider auto   reuse on', 'docker   no Docker engine answered (ENOENT)', 'no pgdock server for this project'].join('\n'),
    );
  });

  it('one line per server: * for this environment\'s config, id, state, host:port, age, leases, config', function () {
    const text = formatStatus({ ...report, servers: [server, { ...server, provider: 'embedded', id: '4242', current: false, state: 'exited', ageSeconds: 7200, leases: [] }] });
    expect(text.split('\n').slice(3)).to.deep.equal([
      '* docker   0123456789ab  running  127.0.0.1:55432        age 90s   leases 1  postgres:16, no extra settings',
      '  embedded 4242          exited   127.0.0.1:55432        age 2h    leases 0  postgres:16, no extra settings',
      '',
      '* the config a run with this environment uses',
    ]);
    expect(text).to.not.contain('***');
  });
});
