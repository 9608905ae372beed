/** Every error code pgdock throws, in one place (the README lists them too). */
export const ErrorCodes = {
  DOCKER_UNAVAILABLE: 'ERR_PGDOCK_DOCKER_UNAVAILABLE',
  IMAGE_MISSING: 'ERR_PGDOCK_IMAGE_MISSING',
  CONTAINER_FAILED: 'ERR_PGDOCK_CONTAINER_FAILED',
  STARTUP_TIMEOUT: 'ERR_PGDOCK_STARTUP_TIMEOUT',
  LOCK_TIMEOUT: 'ERR_PGDOCK_LOCK_TIMEOUT',
  INVALID_OPTION: 'ERR_PGDOCK_INVALID_OPTION',
  STATE_DIR_NOT_WRITABLE: 'ERR_PGDOCK_STATE_DIR_NOT_WRITABLE',
  PROVIDER_UNSUPPORTED: 'ERR_PGDOCK_PROVIDER_UNSUPPORTED',
  SERVER_UNREACHABLE: 'ERR_PGDOCK_SERVER_UNREACHABLE',
  PAIR_FAILED: 'ERR_PGDOCK_PAIR_FAILED',
  FIXTURE_MISSING: 'ERR_PGDOCK_FIXTURE_MISSING',
  FIXTURE_INVALID: 'ERR_PGDOCK_FIXTURE_INVALID',
  FIXTURE_PLACEHOLDER: 'ERR_PGDOCK_FIXTURE_PLACEHOLDER',
  PREPARE_FAILED: 'ERR_PGDOCK_PREPARE_FAILED',
  CLI_USAGE: 'ERR_PGDOCK_CLI_USAGE',
  CONNECTION_BUDGET: 'ERR_PGDOCK_CONNECTION_BUDGET',
  TOO_MANY_JOBS: 'ERR_PGDOCK_TOO_MANY_JOBS',
  DATABASE_IN_USE: 'ERR_PGDOCK_DATABASE_IN_USE',
  UNSAFE_STATE: 'ERR_PGDOCK_UNSAFE_STATE',
  ROLE_RIGHTS: 'ERR_PGDOCK_ROLE_RIGHTS',
  SERVER_GONE: 'ERR_PGDOCK_SERVER_GONE',
  NO_SUCH_TABLE: 'ERR_PGDOCK_NO_SUCH_TABLE',
  NO_SUCH_COLUMN: 'ERR_PGDOCK_NO_SUCH_COLUMN',
  NO_PRIMARY_KEY: 'ERR_PGDOCK_NO_PRIMARY_KEY',
  QUERY_FAILED: 'ERR_PGDOCK_QUERY_FAILED',
  SNAPSHOT_INVALID: 'ERR_PGDOCK_SNAPSHOT_INVALID',
  PROCESS_EXITED: 'ERR_PGDOCK_PROCESS_EXITED',
  PROCESS_NOT_READY: 'ERR_PGDOCK_PROCESS_NOT_READY',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

/** Context fields an error may carry: never a password or a full URL. */
export type ErrorContext = Record<string, string | number | boolean | undefined>;

/** The plain form of an error, as written to the state file and replayed to other workers. */
export interface SerializedError {
  code: ErrorCode;
  message: string;
  hint: string;
  context: ErrorContext;
}

/**
 * The one error type pgdock throws. `message` ends with a `Hint:` line telling the user what to do.
 */
export class PgdockError extends Error {
  readonly code: ErrorCode;
  readonly hint: string;
  readonly context: ErrorContext;

  constructor(code: ErrorCode, message: string, hint: string, context: ErrorContext = {}) {
    super(`${message}\nHint: ${hint}`);
    // As Node names its own coded errors: `PgdockError [ERR_PGDOCK_…]: message` wherever it is printed.
    this.name = `PgdockError [${code}]`;
    this.code = code;
    this.hint = hint;
    this.context = context;
  }

  /** The message without the hint line. */
  get summary(): string {
    return this.message.slice(0, this.message.length - this.hint.length - '\nHint: '.length);
  }

  toJSON(): SerializedError {
    return { code: this.code, message: this.summary, hint: this.hint, context: this.context };
  }

  static fromJSON(data: SerializedError): PgdockError {
    return new PgdockError(data.code, data.message, data.hint, data.context);
  }
}

/** Describes a value for an error message: "`42` (number)". */
export function describeValue(value: unknown): string {
  if (value === null) return '`null`';
  if (value === undefined) return '`undefined`';
  const type = Array.isArray(value) ? 'array' : typeof value;
  let shown: string;
  try {
    shown = typeof value === 'string' ? JSON.stringify(value) : JSON.stringify(value) ?? String(value);
  } catch {
    shown = String(value);
  }
  if (shown.length > 60) shown = `${shown.slice(0, 57)}...`;
  return `\`${shown}\` (${type})`;
}

/** Removes passwords from anything that looks like a connection URL or a password assignment. */
export function redactSecrets(text: string): string {
  return text
    .replace(/(postgres(?:ql)?:\/\/[^:/@\s]*:)[^@\s]*@/gi, '$1***@')
    .replace(/(POSTGRES_PASSWORD=|PGPASSWORD=|password=)[^\s&"']*/gi, '$1***');
}

/** Codes whose message and hint say all there is in one line (what is missing, how to get it). */
const ONE_LINE_CODES: ReadonlySet<ErrorCode> = new Set([ErrorCodes.PROVIDER_UNSUPPORTED]);

/**
 * The error as a test should show it: for {@link ONE_LINE_CODES}, `PgdockError [code]: message
 * Hint: hint` on one line with no stack frames (they would show pgdock's start-up thread, not the
 * user's code). Others are returned as they are.
 */
export function printable(err: PgdockError): PgdockError {
  if (!ONE_LINE_CODES.has(err.code)) return err;
  const line = `${err.summary} Hint: ${err.hint}`;
  err.message = line;
  err.stack = `${err.name}: ${line}`;
  return err;
}
