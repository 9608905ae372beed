// Mocha's spec reporter plus closing lines CI can read: the five files whose tests and hooks took
// longest (where the suite's time goes), then "N passed, N failed, N skipped".
'use strict';
const { relative } = require('node:path');
const { reporters } = require('mocha');

class SpecWithTotals extends reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    const perFile = new Map();
    const add = (runnable) => {
      if (!runnable || !runnable.file || typeof runnable.duration !== 'number') return;
      perFile.set(runnable.file, (perFile.get(runnable.file) || 0) + runnable.duration);
    };
    runner.on('test end', add);
    runner.on('hook end', add);
    runner.once('end', () => {
      const { passes = 0, failures = 0, pending = 0 } = runner.stats || {};
      const slowest = [...perFile].sort((a, b) => b[1] - a[1]).slice(0, 5);
      if (slowest.length > 0) {
        process.stdout.write('\nslowest files (seconds in tests and hooks):\n');
        for (const [file, ms] of slowest) process.stdout.write(`  ${(ms / 1000).toFixed(1).padStart(6)}  ${relative(process.cwd(), file)}\n`);
      }
      process.stdout.write(`\n${passes} passed, ${failures} failed, ${pending} skipped\n`);
    });
  }
}

module.exports = SpecWithTotals;
