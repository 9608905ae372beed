// With mochawesome: the run's figures join its report. mochawesome builds its report when mocha's
// run ends and writes it after mocha's global teardown, where pgdock merges the figures; so the
// report-writing call mochawesome makes (mochawesome-report-generator's `create`, the instance
// mochawesome loaded) gets them added to the root suite, as an `after all` hook's context.
// Covered by spec/e2e/run-metrics.spec.ts (the mochawesome report of a --parallel run).
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import type { RunMetrics } from '../metrics/run-metrics.js';

interface ReportSuite {
  uuid?: string;
  afterHooks?: unknown[];
}
interface Report {
  results?: Array<ReportSuite | false>;
}
type Create = (data: Report, options: Record<string, unknown> | undefined) => Promise<unknown>;

const HOOK_TITLE = '"after all" hook: pgdock run metrics';
let figures: { line: string; metrics: RunMetrics } | undefined;

/** The report generator mochawesome loaded in this process, if it did (found in require's cache: never loaded here). */
function loadedGenerator(): { create: Create } | undefined {
  const cache = createRequire(import.meta.url).cache;
  const file = Object.keys(cache).find((name) => /[\\/]mochawesome-report-generator[\\/]lib[\\/]main\.js$/.test(name));
  const exported = file ? (cache[file]?.exports as { create?: Create } | undefined) : undefined;
  return typeof exported?.create === 'function' ? (exported as { create: Create }) : undefined;
}

/** Adds the figures to a report about to be written (an after-all hook of its root suite, with context). */
export function withMetrics(report: Report, options: Record<string, unknown> | undefined, added: { line: string; metrics: RunMetrics }): Record<string, unknown> | undefined {
  const root = report.results?.[0];
  if (!root) return options;
  root.afterHooks = [
    ...(root.afterHooks ?? []),
    {
      title: HOOK_TITLE, fullTitle: HOOK_TITLE, timedOut: false, duration: 0, state: 'passed', speed: 'fast', pass: true, fail: false, pending: false,
      context: JSON.stringify([{ title: 'pgdock: run summary', value: added.line }, { title: 'pgdock: run metrics', value: added.metrics }], null, 2),
      code: '', err: {}, uuid: randomUUID(), parentUUID: root.uuid, isHook: true, skipped: false,
    },
  ];
  // mochawesome shows only failed hooks by default; hooks with context are shown so the figures are seen.
  return options?.showHooks === undefined || options.showHooks === 'failed' ? { ...options, showHooks: 'context' } : options;
}

/** Called once the figures are known: mochawesome's report (if this run writes one) gets them. */
export function addMetricsToReport(line: string, metrics: RunMetrics): void {
  figures = { line, metrics };
  const generator = loadedGenerator();
  if (!generator || (generator.create as { pgdock?: boolean }).pgdock) return;
  const create = generator.create;
  const wrapped: Create = (data, options) => create(data, figures ? withMetrics(data, options, figures) : options);
  (wrapped as { pgdock?: boolean }).pgdock = true;
  generator.create = wrapped;
}
