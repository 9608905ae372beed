// pgdock's fault specs (spec/faults): run by `npm test` after the main suite, so the many mocha runs
// they start do not share the machine's two cores with the main suite's timing-sensitive specs.
const main = require('./.mocharc.cjs');
module.exports = { ...main, spec: ['dist/spec/faults/**/*.spec.js'], ignore: [] };
