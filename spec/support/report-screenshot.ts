// Takes a screenshot of a mochawesome report of a failing pgdock test, in Debian's headless Chromium.
// Usage (after `npm run build`, with Docker and `apt-get install chromium`):
//   node dist/spec/support/report-screenshot.js [out.png]
// It runs fixtures/reports/copy-job.spec.js in a sample project (pgdock installed from npm pack),
// writes the report there, opens report.html in Chromium and saves the page as a PNG.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { removeProjectServers } from './server-watch.js';
import { REPO_ROOT } from './paths.js';
import { SampleProject } from './sample-project.js';

const out = resolve(process.argv[2] ?? 'reports/failing-test.png');
process.env.PGDOCK_SPEC_SCRATCH ??= mkdtempSync(join(tmpdir(), 'pgdock-screenshot-'));
const project = await SampleProject.create({ 'report.spec.js': readFileSync(join(REPO_ROOT, 'fixtures', 'reports', 'copy-job.spec.js'), 'utf8') });
try {
  await project.mocha(['--parallel', '--jobs', '2', '--require', 'mochawesome/register', '--reporter', 'mochawesome',
    '--reporter-options', 'reportDir=reports,reportFilename=report,quiet=true']).done;
  // A copy of the report that opens the failing tests (as a click would) so their context shows.
  const reportDir = join(project.dir, 'reports');
  const opener = `<script>setTimeout(() => { for (const el of document.querySelectorAll('*')) {
    if (el.children.length === 0 && /fails on purpose|forgets to await/.test(el.textContent || '')) el.click(); } }, 300);</script>`;
  writeFileSync(join(reportDir, 'report-open.html'), readFileSync(join(reportDir, 'report.html'), 'utf8').replace('</body>', `${opener}</body>`));
  const profile = mkdtempSync(join(tmpdir(), 'pgdock-chromium-'));
  try {
    execFileSync('chromium', [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', `--user-data-dir=${profile}`, '--hide-scrollbars',
      '--window-size=1400,2200', '--virtual-time-budget=5000', `--screenshot=${out}`,
      `file://${join(reportDir, 'report-open.html')}`,
    ], { stdio: 'pipe' });
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
  process.stdout.write(`wrote ${out}\n`);
} finally {
  await removeProjectServers(project.projectKey);
  project.remove();
  rmSync(process.env.PGDOCK_SPEC_SCRATCH, { recursive: true, force: true });
}
