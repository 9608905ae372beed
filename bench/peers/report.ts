// The peers benchmark's results: the JSON kept in bench/results, the markdown tables, the chart, and
// the README block between its markers.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { median, round } from '../stats.js';
import { barChartSvg, type BarGroup } from './chart.js';
import type { PeerName } from './projects.js';

export const SUITE_MODES = {
  coldSerial: 'cold, serial',
  coldParallel: 'cold, `--parallel --jobs 4`',
  warmSerial: 'warm, serial',
  warmParallel: 'warm, `--parallel --jobs 4`',
} as const;
export type SuiteMode = keyof typeof SUITE_MODES;

export interface StartupFigures {
  rawDockerRunMs: number[];
  pgdockColdWallMs: number[];
  pgdockColdAcquireMs: number[];
  bareConnectWallMs: number[];
  pgdockWarmAttachWallMs: number[];
}

export interface PeersResults {
  at: string;
  image: string;
  rounds: number;
  machine: { cpus: number; node: string };
  versions: { testcontainers: string; dockerCompose: string };
  given: string[];
  suite: Record<SuiteMode, Record<PeerName, number[]>>;
  composeColdParts: { upMs: number[]; mochaMs: number[]; downMs: number[] };
  startup: StartupFigures;
  /** How mocha was started (npx or the project's .bin/mocha), and `mocha --version` timed both ways. */
  launch: { npx: boolean; npxMs: number[]; directMs: number[] };
}

const PEER_TITLES: Record<PeerName, string> = { pgdock: 'pgdock', testcontainers: 'testcontainers', compose: 'docker-compose v1' };
const COLORS: Record<PeerName, string> = { pgdock: '#2b6cb0', testcontainers: '#dd6b20', compose: '#718096' };

const spread = (v: number[]): string => `${Math.round(Math.min(...v))}–${Math.round(Math.max(...v))}`;
const cell = (v: number[]): string => `${Math.round(median(v))} ms (${spread(v)})`;
const ratio = (a: number[], b: number[]): string => `${round(median(a) / median(b), 2).toFixed(2)}×`;

export function suiteTable(r: PeersResults): string {
  const lines = [
    `| ${r.launch.npx ? '`npx mocha`' : '`mocha`'}, wall clock, median (min–max) | pgdock | testcontainers | docker-compose v1 |`,
    '|---|---|---|---|',
  ];
  for (const [mode, title] of Object.entries(SUITE_MODES) as Array<[SuiteMode, string]>) {
    const s = r.suite[mode];
    lines.push(`| ${title} | ${cell(s.pgdock)} | ${cell(s.testcontainers)}, pgdock ${ratio(s.pgdock, s.testcontainers)} | ${cell(s.compose)}, pgdock ${ratio(s.pgdock, s.compose)} |`);
  }
  return lines.join('\n');
}

export function startupTable(r: PeersResults): string {
  const s = r.startup;
  return [
    '| start-up, median (min–max) | pgdock | floor | pgdock ÷ floor |',
    '|---|---|---|---|',
    `| cold: fresh process to first query | ${cell(s.pgdockColdWallMs)} | raw \`docker run\` + poll until \`select 1\`: ${cell(s.rawDockerRunMs)} | ${ratio(s.pgdockColdWallMs, s.rawDockerRunMs)} |`,
    `| cold: \`acquireServer()\` to first query (modules loaded) | ${cell(s.pgdockColdAcquireMs)} | the same raw \`docker run\` + poll | ${ratio(s.pgdockColdAcquireMs, s.rawDockerRunMs)} |`,
    `| warm attach: fresh process to first query | ${cell(s.pgdockWarmAttachWallMs)} | bare postgres.js connect + \`select 1\`, fresh process: ${cell(s.bareConnectWallMs)} | ${ratio(s.pgdockWarmAttachWallMs, s.bareConnectWallMs)} |`,
  ].join('\n');
}

export function chartSvg(r: PeersResults): string {
  const peers: PeerName[] = ['pgdock', 'testcontainers', 'compose'];
  const bar = (label: string, color: string, v: number[]) => ({ label, color, median: median(v), min: Math.min(...v), max: Math.max(...v) });
  const groups: BarGroup[] = (Object.entries(SUITE_MODES) as Array<[SuiteMode, string]>).map(([mode, title]) => ({
    title: title.replace(', `--parallel --jobs 4`', '\n--parallel --jobs 4').replace(', serial', '\nserial'),
    bars: peers.map((p) => bar(PEER_TITLES[p], COLORS[p], r.suite[mode][p])),
  }));
  groups.push(
    { title: 'start-up, cold\n(pgdock vs raw run)', bars: [bar('pgdock', COLORS.pgdock, r.startup.pgdockColdWallMs), bar('floor', '#a0aec0', r.startup.rawDockerRunMs)] },
    { title: 'start-up, warm\n(pgdock vs bare connect)', bars: [bar('pgdock', COLORS.pgdock, r.startup.pgdockWarmAttachWallMs), bar('floor', '#a0aec0', r.startup.bareConnectWallMs)] },
  );
  return barChartSvg(`12 files × 5 tests, ${r.rounds} interleaved rounds, ${r.machine.cpus} cores (${r.at.slice(0, 10)})`, groups);
}

/** The block the README shows: both tables, the chart, what each peer was given. */
export function readmeBlock(r: PeersResults): string {
  return [
    `${r.rounds} interleaved rounds (pgdock, testcontainers, compose, again …), ${r.machine.cpus} cores, Node ${r.machine.node}, ${r.at.slice(0, 10)}; `
      + 'a ratio is pgdock\'s median over that peer\'s (below 1: pgdock is faster).',
    '',
    suiteTable(r),
    '',
    startupTable(r),
    '',
    '![npm run bench:peers](bench/results/peers.svg)',
    '',
    ...r.given.map((g) => `- ${g}`),
  ].join('\n');
}

const START = '<!-- bench:peers:start (written by npm run bench:peers) -->';
const END = '<!-- bench:peers:end -->';

/** Replaces the README's block between the markers; false when the markers are missing. */
export function updateReadme(path: string, r: PeersResults): boolean {
  if (!existsSync(path)) return false;
  const text = readFileSync(path, 'utf8');
  const from = text.indexOf(START);
  const to = text.indexOf(END);
  if (from < 0 || to < from) return false;
  writeFileSync(path, `${text.slice(0, from + START.length)}\n${readmeBlock(r)}\n${text.slice(to)}`);
  return true;
}
