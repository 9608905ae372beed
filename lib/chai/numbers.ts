/**
 * Numbers as exact decimal text: `10.50`, `10.5`, `1.05e1` and `+010.5` are all `10.5`. No float
 * arithmetic touches the digits, so numeric and bigint values beyond 2^53 compare exactly.
 */

const DECIMAL = /^([+-])?(\d*)(?:\.(\d*))?(?:e([+-]?\d+))?$/i;
const SPECIAL: Record<string, string> = { nan: 'NaN', infinity: 'Infinity', '+infinity': 'Infinity', '-infinity': '-Infinity', inf: 'Infinity', '+inf': 'Infinity', '-inf': '-Infinity' };

/** Canonical decimal text of a number, bigint or numeric string; undefined when it is not one. */
export function canonicalNumber(value: unknown): string | undefined {
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') return Number.isFinite(value) ? canonicalDecimal(String(value)) : String(value);
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  return SPECIAL[text.toLowerCase()] ?? canonicalDecimal(text);
}

function canonicalDecimal(text: string): string | undefined {
  const m = DECIMAL.exec(text);
  if (!m || (!m[2] && !m[3])) return undefined;
  let digits = `${m[2] ?? ''}${m[3] ?? ''}`;
  // Position of the decimal point within `digits`, moved by the exponent.
  let point = (m[2] ?? '').length + Number(m[4] ?? 0);
  if (point < 0) {
    digits = '0'.repeat(-point) + digits;
    point = 0;
  }
  if (point > digits.length) digits += '0'.repeat(point - digits.length);
  const int = digits.slice(0, point).replace(/^0+/, '') || '0';
  const frac = digits.slice(point).replace(/0+$/, '');
  const out = frac ? `${int}.${frac}` : int;
  return m[1] === '-' && out !== '0' ? `-${out}` : out;
}

/** How a canonical number is shown: a JS number when it is exactly that number, else its text. */
export function displayNumber(canonical: string): number | string {
  const n = Number(canonical);
  return Number.isFinite(n) && canonicalDecimal(String(n)) === canonical ? n : canonical;
}
