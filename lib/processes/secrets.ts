// Covered by spec/unit/processes/secrets.spec.ts and spec/integration/processes/redaction.spec.ts.
import { redactSecrets } from '../errors.js';

/** Parts of a variable's name that make its value a secret wherever they appear (PGPASSWORD, GITHUB_TOKEN, CLIENTSECRET). */
const SECRET_PART = /PASSWORD|PASSWD|PASSPHRASE|SECRET|TOKEN|CREDENTIAL|APIKEY|PRIVATEKEY/;
/** A value this short is no secret worth hiding (and hiding it would garble every line). */
const MIN_SECRET_LENGTH = 3;
/** `scheme://user:password@`: the password of any URL. */
const URL_PASSWORD = /([a-z][a-z0-9+.-]*:\/\/[^:/@\s]*:)([^@\s]+)@/gi;

/**
 * Whether a variable named `name` holds a secret: one with a {@link SECRET_PART}, a segment (between
 * `_`, `-`, `.`) `PASS` or `AUTH` (DB_PASS, BASIC_AUTH), or a last segment `KEY` (API_KEY, STRIPE_KEY).
 * Not KEYCLOAK_URL, MONKEY, AUTHOR or KEY_FILE: a value hidden needlessly garbles every line it is in.
 */
export function isSecretName(name: string): boolean {
  const upper = name.toUpperCase();
  if (SECRET_PART.test(upper)) return true;
  const segments = upper.split(/[^A-Z0-9]+/).filter((s) => s !== '');
  return segments.includes('PASS') || segments.includes('AUTH') || segments.at(-1) === 'KEY';
}

function urlPasswords(value: string): string[] {
  const found: string[] = [];
  for (const match of value.matchAll(URL_PASSWORD)) {
    const raw = match[2]!;
    found.push(raw);
    try {
      found.push(decodeURIComponent(raw));
    } catch {
      // not percent-encoded: the raw form is enough
    }
  }
  return found;
}

/**
 * The secret values in an environment: those of variables whose name says so ({@link isSecretName}),
 * and the password of every URL in any value (`DATABASE_URL`).
 */
export function secretValues(env: Readonly<Record<string, string | undefined>>): string[] {
  const secrets = new Set<string>();
  for (const [name, value] of Object.entries(env)) {
    if (!value) continue;
    if (isSecretName(name)) secrets.add(value);
    for (const password of urlPasswords(value)) secrets.add(password);
  }
  for (const secret of [...secrets]) {
    if (secret.length < MIN_SECRET_LENGTH) secrets.delete(secret);
    else secrets.add(encodeURIComponent(secret));
  }
  // Longest first: a secret that contains another is replaced whole.
  return [...secrets].sort((a, b) => b.length - a.length);
}

/** A function that hides `secrets` (and any URL's password) in a line of text. */
export function createRedactor(secrets: readonly string[]): (text: string) => string {
  return (text) => {
    let out = text;
    for (const secret of secrets) if (out.includes(secret)) out = out.split(secret).join('***');
    return redactSecrets(out.replace(URL_PASSWORD, '$1***@'));
  };
}

/** Hides any URL's password and password assignments in `text` (no known secret values: for option errors). */
export const hideUrlPasswords: (text: string) => string = createRedactor([]);
