// Covered by spec/e2e/snapshots.spec.ts (written, rewritten and obsolete snapshots at the end of a file).
import { relative } from 'node:path';
import type { SnapshotFileReport } from './host.js';
import { snapshotFile } from './snapshot-file.js';


const KEY = /^([\s\S]*) (\d+)$/; // a title may hold line breaks

/** Keys no test takes any more: its test is gone, or it passed taking fewer snapshots. */
function obsoleteKeys(keys: string[], report: SnapshotFileReport): string[] {
  const tests = new Map(report.tests.map((t) => [t.title, t]));
  return keys.filter((key) => {
    const [, title = key, n = '0'] = KEY.exec(key) ?? [];
    const test = tests.get(title);
    return !test || (test.state === 'passed' && Number(n) > test.taken);
  });
}

/**
 * After a spec file's tests: lines saying which snapshots were written or rewritten, and which are
 * obsolete (listed; removed only with `update`). Snapshots of tests that did not run are never touched.
 */
export function settleSnapshots(reports: SnapshotFileReport[], update: boolean): string[] {
  const lines: string[] = [];
  for (const report of reports) {
    const file = snapshotFile(report.specFile);
    const where = relative(process.cwd(), file.path);
    if (file.written.length) lines.push(`pgdock: wrote ${file.written.length} new snapshot(s) to ${where}`);
    if (file.updated.length) lines.push(`pgdock: rewrote ${file.updated.length} snapshot(s) in ${where}: ${file.updated.map((k) => JSON.stringify(k)).join(', ')}`);
    file.written.length = 0;
    file.updated.length = 0;
    if (!report.complete) continue;
    const obsolete = obsoleteKeys([...file.entries.keys()], report);
    if (obsolete.length === 0) continue;
    if (update) {
      file.change(obsolete.map((k) => [k, undefined]));
      lines.push(`pgdock: removed ${obsolete.length} obsolete snapshot(s) from ${where}`);
    } else {
      lines.push(`pgdock: ${obsolete.length} obsolete snapshot(s) in ${where} (no test takes them any more): ${obsolete.map((k) => JSON.stringify(k)).join(', ')}. PGDOCK_UPDATE_SNAPSHOTS=1 removes them.`);
    }
  }
  return lines;
}
