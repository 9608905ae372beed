import * as chai from 'chai';
import pgdockChai from '../../lib/chai/sql-assertions.js';

chai.use(pgdockChai);

/** chai's expect with pgdock/chai installed, as a user's specs have it. */
export const { expect } = chai;
