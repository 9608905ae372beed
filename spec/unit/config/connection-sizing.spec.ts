import { expect } from 'chai';
import { connectionsNeeded, PGDOCK_CONNECTIONS_PER_WORKER, RESERVED_CONNECTIONS, setsMaxConnections, withConnectionBudget } from '../../../lib/config/connection-sizing.js';

describe('connection sizing for per-worker databases', function () {
  it('a run needs jobs × (the suite\'s pool + pgdock\'s own) + the reserved slots', function () {
    expect(connectionsNeeded(4, 10)).to.equal(4 * (10 + PGDOCK_CONNECTIONS_PER_WORKER) + RESERVED_CONNECTIONS);
    expect(connectionsNeeded(1, 1)).to.equal(15);
  });

  it('raises max_connections only past Postgres\'s 100, rounded up to 50, and never over the user\'s own setting', function () {
    expect(withConnectionBudget(['-c', 'x=1'], 6, 10), '6 × 14 + 10 = 94 fits').to.deep.equal(['-c', 'x=1']);
    expect(withConnectionBudget([], 7, 10), '7 × 14 + 10 = 108').to.deep.equal(['-c', 'max_connections=150']);
    expect(withConnectionBudget([], 10, 11), '10 × 15 + 10 = 160').to.deep.equal(['-c', 'max_connections=200']);
    expect(withConnectionBudget(['-c', 'max_connections=30'], 16, 10)).to.deep.equal(['-c', 'max_connections=30']);
    expect([setsMaxConnections(['-c', 'max_connections=30']), setsMaxConnections(['-c', 'shared_buffers=1MB'])]).to.deep.equal([true, false]);
  });
});
