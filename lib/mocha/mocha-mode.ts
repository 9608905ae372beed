import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createDebug } from '../debug.js';
import { defaultJobs } from '../config/default-jobs.js';

const log = createDebug('mocha');

/**
 * The jobs of the current mocha run, as its main process (hooks/register) passes them to its
 * workers: the one hop jobs take through the environment. Read here only; options never read it.
 */
export const RUN_JOBS_ENV = 'PGDOCK_RUN_JOBS';

/**
 * Where this process sits in a mocha run:
 * - `worker`: a `--parallel` worker (it loads spec files);
 * - `serial`: mocha's only process (it loads spec files itself);
 * - `parallel-main`: the main process of a `--parallel` run (it forks workers and loads no spec file);
 * - `outside`: not run by mocha's CLI at all (e.g. a script calling the API).
 */
export type MochaRole = 'worker' | 'serial' | 'parallel-main' | 'outside';

export interface MochaMode {
  role: MochaRole;
  /** How many workers run at once (1 in serial mode). */
  jobs: number;
  /** Mocha's id for this worker (`MOCHA_WORKER_ID`): `0` outside a worker. */
  workerId: string;
}

interface MochaCliOptions {
  parallel?: boolean;
  jobs?: number;
}

/** The root folder of the mocha package whose CLI started this process, if it was one. */
function mochaRoot(script: string | undefined): string | undefined {
  if (!script) return undefined;
  let dir: string;
  try {
    dir = dirname(realpathSync(script));
  } catch {
    return undefined;
  }
  for (let i = 0; i < 5; i++) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        return (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'mocha' ? dir : undefined;
      } catch {
        return undefined;
      }
    }
    dir = dirname(dir);
  }
  return undefined;
}

/** Mocha's own reading of its options (rc file, package.json, CLI), the same the CLI acted on. */
function cliOptions(root: string, args: string[]): MochaCliOptions | undefined {
  const require = createRequire(join(root, 'package.json'));
  for (const file of ['lib/cli/options.cjs', 'lib/cli/options.js']) {
    if (!existsSync(join(root, file))) continue;
    try {
      const { loadOptions } = require(join(root, file)) as { loadOptions(argv: string[]): MochaCliOptions };
      return loadOptions(args);
    } catch (err) {
      log('mocha options could not be read through %s: %s', file, (err as Error).message);
    }
  }
  return undefined;
}

/** Without mocha's reader: the flags as typed (rc files are not seen). */
function scanArgs(args: string[]): MochaCliOptions {
  const options: MochaCliOptions = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--parallel' || arg === '-p') options.parallel = true;
    else if (arg === '--no-parallel') options.parallel = false;
    else if (arg === '--jobs' || arg === '-j') options.jobs = Number(args[++i]);
    else if (arg.startsWith('--jobs=')) options.jobs = Number(arg.slice('--jobs='.length));
  }
  return options;
}

/**
 * Works out the mocha role of this process. Workers are told by the `MOCHA_WORKER_ID` mocha gives
 * them (read as a fact about the process, not as configuration); the main process reads mocha's
 * options the way mocha's CLI did.
 */
export function mochaMode(env: Record<string, string | undefined> = process.env, argv: string[] = process.argv): MochaMode {
  const workerId = env.MOCHA_WORKER_ID;
  const jobsFromMain = Number(env[RUN_JOBS_ENV]);
  if (workerId !== undefined) return { role: 'worker', jobs: Number.isInteger(jobsFromMain) && jobsFromMain > 0 ? jobsFromMain : defaultJobs(), workerId };
  const root = mochaRoot(argv[1]);
  if (!root) return { role: 'outside', jobs: 1, workerId: '0' };
  const options = cliOptions(root, argv.slice(2)) ?? scanArgs(argv.slice(2));
  if (!options.parallel) return { role: 'serial', jobs: 1, workerId: '0' };
  const jobs = Number.isInteger(options.jobs) && (options.jobs ?? 0) > 0 ? options.jobs! : defaultJobs();
  return { role: 'parallel-main', jobs, workerId: '0' };
}
