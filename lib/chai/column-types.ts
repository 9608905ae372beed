// Covered by spec/integration/chai/sql-assertions.spec.ts (`.columns`, types and aliases).
const TYPE_ALIASES: Record<string, string> = {
  int: 'integer', int4: 'integer', int8: 'bigint', int2: 'smallint', bool: 'boolean', float8: 'double precision',
  float4: 'real', varchar: 'character varying', timestamptz: 'timestamp with time zone', timestamp: 'timestamp without time zone',
  serial: 'integer', bigserial: 'bigint', decimal: 'numeric', char: 'character', timetz: 'time with time zone', time: 'time without time zone',
};

/** Whether a type name a user wrote (`int8`, `numeric(10,2)`, `timestamptz`) names the column's type. */
export function sameType(expected: string, actual: { type: string; udt: string }): boolean {
  const e = expected.trim().toLowerCase();
  return [actual.type.toLowerCase(), actual.udt.toLowerCase()].some((a) => a === e || a === TYPE_ALIASES[e] || TYPE_ALIASES[a] === e || a.startsWith(`${TYPE_ALIASES[e] ?? e}(`));
}
