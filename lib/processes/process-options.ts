// Covered by spec/unit/processes/process-options.spec.ts.
import { basename } from 'node:path';
import { closestName } from '../config/did-you-mean.js';
import { ErrorCodes, PgdockError, describeValue } from '../errors.js';
import { plainPattern } from './output-tail.js';
import type { ReadyCheck } from './readiness.js';
import { hideUrlPasswords } from './secrets.js';

/** What `startProcess()` takes. */
export interface StartProcessOptions {
  /** Shown in messages and report context. @defaultValue the command's file name */
  name?: string;
  /** The program to run (no shell). */
  command: string;
  args?: readonly string[];
  /** Merged over `process.env`; a value `undefined` removes the variable. */
  env?: Readonly<Record<string, string | undefined>>;
  cwd?: string;
  /** When it is ready. @defaultValue ready once spawned */
  ready?: ReadyCheck;
  /** How long readiness may take, in ms. @defaultValue 10000 */
  timeout?: number;
  /** SIGTERM, then SIGKILL after this many ms. @defaultValue 2000 */
  stopGrace?: number;
}

export interface ResolvedProcessOptions {
  name: string;
  command: string;
  args: string[];
  env: Record<string, string>;
  cwd: string | undefined;
  ready: ReadyCheck | undefined;
  timeout: number;
  stopGrace: number;
}

const OPTION_NAMES = ['name', 'command', 'args', 'env', 'cwd', 'ready', 'timeout', 'stopGrace'] as const;
const READY_NAMES = ['log', 'port', 'host', 'url', 'check'] as const;
const SOURCE = 'startProcess()';
const HINT = "Fix the options given to startProcess(); see \"Start the system under test's processes\" in pgdock's README.";

/**
 * A bad value as an error may show it: a value of env (maybe a secret), an object, an array or a
 * function by its type only (an object may carry a URL with its password); a string with any URL's
 * password hidden (before it is shortened, which could cut the `@` that marks it).
 */
function shown(name: string, value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object' && value !== null) return 'an object';
  if (name.startsWith('env.') || typeof value === 'function') return `a ${typeof value}`;
  return describeValue(typeof value === 'string' ? hideUrlPasswords(value) : value);
}

function invalid(name: string, expected: string, value: unknown): PgdockError {
  return invalidAs(name, expected, shown(name, value));
}

function invalidAs(name: string, expected: string, got: string): PgdockError {
  return new PgdockError(ErrorCodes.INVALID_OPTION, `Expected the \`${name}\` option of ${SOURCE} to be ${expected}, got ${got}.`, HINT, { option: name, source: SOURCE });
}

function unknownKey(key: string, known: readonly string[], where: string): PgdockError {
  const near = closestName(key, known);
  const tail = near ? `did you mean \`${near}\`?` : `it takes ${known.join(', ')}.`;
  return new PgdockError(ErrorCodes.INVALID_OPTION, `\`${key}\` is not an option of ${where}; ${tail}`, HINT, { option: key, source: SOURCE });
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function nonEmptyString(name: string, value: unknown): string {
  if (typeof value !== 'string' || value === '') throw invalid(name, 'a non-empty string', value);
  return value;
}

function duration(name: string, value: unknown, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) throw invalid(name, `a number of milliseconds${min > 0 ? ' above 0' : ', 0 or more'}`, value);
  return value;
}

function port(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 65535) throw invalid(name, 'a port number (1 to 65535)', value);
  return value;
}

function resolveReady(value: unknown): ReadyCheck | undefined {
  if (value === undefined) return undefined;
  if (!isRecord(value)) throw invalid('ready', 'an object: { log }, { port, host? }, { url } or { check }', value);
  for (const key of Object.keys(value)) if (!(READY_NAMES as readonly string[]).includes(key)) throw unknownKey(key, READY_NAMES, 'startProcess() `ready`');
  const kinds = ['log', 'port', 'url', 'check'].filter((k) => value[k] !== undefined);
  if (kinds.length !== 1) throw invalidAs('ready', 'exactly one of { log }, { port, host? }, { url } or { check }', kinds.length === 0 ? 'none' : kinds.map((k) => `\`${k}\``).join(' and '));
  if (value.host !== undefined && kinds[0] !== 'port') throw invalidAs('ready.host', 'given with `port` only', `it with \`${kinds[0]}\``);
  if (value.log !== undefined) {
    if (!(value.log instanceof RegExp) && (typeof value.log !== 'string' || value.log === '')) throw invalid('ready.log', 'a RegExp or a non-empty string', value.log);
    return { log: plainPattern(value.log) };
  }
  if (value.port !== undefined) return { port: port('ready.port', value.port), host: value.host === undefined ? '127.0.0.1' : nonEmptyString('ready.host', value.host) };
  if (value.url !== undefined) {
    const text = nonEmptyString('ready.url', value.url);
    let url: URL | undefined;
    try {
      url = new URL(text);
    } catch {
      url = undefined;
    }
    if (!url || !/^https?:$/.test(url.protocol)) throw invalid('ready.url', 'an http:// or https:// URL', url ? url.protocol : 'not a URL');
    return { url: text };
  }
  if (typeof value.check !== 'function') throw invalid('ready.check', 'a function returning a boolean (or a promise of one)', value.check);
  return { check: value.check as () => boolean | Promise<boolean> };
}

function resolveEnv(value: unknown): Record<string, string> {
  if (value !== undefined && !isRecord(value)) throw invalid('env', 'an object of strings', value);
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  for (const [k, v] of Object.entries(value ?? {})) {
    if (v === undefined) delete env[k];
    else if (typeof v === 'string') env[k] = v;
    else throw invalid(`env.${k}`, 'a string (or undefined to remove it)', v);
  }
  return env;
}

/** Checks `startProcess()`'s options: a bad one is `ERR_PGDOCK_INVALID_OPTION` naming it (never an env value). */
export function resolveProcessOptions(input: unknown): ResolvedProcessOptions {
  if (!isRecord(input)) throw invalid('options', 'an object with at least `command`', input);
  for (const key of Object.keys(input)) if (!(OPTION_NAMES as readonly string[]).includes(key)) throw unknownKey(key, OPTION_NAMES, SOURCE);
  const command = nonEmptyString('command', input.command);
  const args = input.args ?? [];
  if (!Array.isArray(args)) throw invalid('args', 'an array of strings', args);
  // Which element, never the array: its neighbours may be a URL with its password.
  const bad = args.findIndex((a) => typeof a !== 'string');
  if (bad >= 0) throw invalid(`args[${bad}]`, 'a string', args[bad]);
  const name = input.name === undefined ? basename(command) : nonEmptyString('name', input.name);
  const cwd = input.cwd === undefined ? undefined : nonEmptyString('cwd', input.cwd);
  return {
    name,
    command,
    args: [...(args as string[])],
    env: resolveEnv(input.env),
    cwd,
    ready: resolveReady(input.ready),
    timeout: duration('timeout', input.timeout, 10_000, 1),
    stopGrace: duration('stopGrace', input.stopGrace, 2_000, 0),
  };
}
