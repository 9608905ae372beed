import { expect } from 'chai';
import { resolveOptions } from '../../../../lib/config/options.js';
import { projectKey, serverKey, serverPaths, type ServerOptions } from '../../../../lib/coordination/server-key.js';
import { LABELS, labelFilter, labelsFor } from '../../../../lib/server/docker/labels.js';

describe('docker labels: what a pgdock container says about itself', function () {
  const options = { ...resolveOptions({ projectRoot: '/p', stateDir: '/s', provider: 'docker' }, {}), provider: 'docker' } as ServerOptions;

  it('labelsFor: the marker, its config, its project, the project root, its state folder and the image as named', function () {
    expect(labelsFor(options)).to.deep.equal({
      [LABELS.marker]: '1',
      [LABELS.key]: serverKey(options),
      [LABELS.project]: projectKey(options),
      [LABELS.projectRoot]: '/p',
      [LABELS.stateDir]: serverPaths(options).dir,
      [LABELS.image]: options.image,
    });
    expect(labelsFor({ ...options, image: 'other:1' })[LABELS.key], 'another config, another key').to.not.equal(serverKey(options));
  });

  it('labelFilter: name=value, or the name alone for any value', function () {
    expect(labelFilter({ [LABELS.project]: 'abc', [LABELS.marker]: '' })).to.deep.equal({ label: ['pgdock.project=abc', 'pgdock'] });
  });
});
