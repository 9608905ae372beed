// pgdock's own suite: compiled specs, in parallel, with pgdock itself as a plugin (dogfooding).
module.exports = {
  require: ['./dist/hooks/register.js', './dist/spec/support/global-fixtures.js'],
  spec: ['dist/spec/**/*.spec.js'],
  // The fault specs (many child runs each) run as a phase of their own: see .mocharc.faults.cjs.
  ignore: ['dist/spec/faults/**'],
  parallel: true,
  jobs: 2,
  timeout: 20000,
  slow: 5000,
  reporter: './spec/support/totals-reporter.cjs',
};
