// Schemas shared by every route: errors, ids, pagination.
import { Type, type Static, type TProperties } from 'typebox';

export const MAX_INT = 2_147_483_647;

export const ErrorResponse = Type.Object(
  {
    statusCode: Type.Integer(),
    error: Type.String(),
    message: Type.String(),
  },
  { description: 'Every 4xx and 5xx answer' },
);
export type ErrorResponse = Static<typeof ErrorResponse>;

export const errorResponses = {
  400: ErrorResponse,
  401: ErrorResponse,
  403: ErrorResponse,
  404: ErrorResponse,
  409: ErrorResponse,
  413: ErrorResponse,
  415: ErrorResponse,
  503: ErrorResponse,
} as const;

export const Id = Type.Integer({ minimum: 0, maximum: MAX_INT });

export const IdParams = Type.Object({ id: Id }, { additionalProperties: false });
export type IdParams = Static<typeof IdParams>;

/** `?fields=`: a comma-separated list drawn from the resource's readable fields, nothing else. */
export function FieldsParameter(allowed: readonly string[]) {
  const name = `(?:${allowed.join('|')})`;
  return Type.String({
    maxLength: 512,
    pattern: `^${name}(?:,${name})*$`,
    description: `Comma-separated field names from: ${allowed.join(', ')} (id is always included)`,
  });
}

export function FieldsQuery(allowed: readonly string[]) {
  return Type.Object({ fields: Type.Optional(FieldsParameter(allowed)) }, { additionalProperties: false });
}

export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 1000;

/** A list's query: page size, where to continue, which fields, and the resource's own filters. */
export function PageQuery<P extends TProperties>(allowed: readonly string[], filters: P) {
  return Type.Object(
    {
      limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_LIMIT, default: DEFAULT_LIMIT })),
      after: Type.Optional(
        Type.Integer({ minimum: 0, maximum: MAX_INT, description: 'Last id of the previous page' }),
      ),
      fields: Type.Optional(FieldsParameter(allowed)),
      ...filters,
    },
    {
      additionalProperties: false,
      description: 'Unknown query parameters are refused with 400',
    },
  );
}

// Free text must not carry NUL: PostgreSQL text cannot store it.
export const noNul = '^[^\\u0000]*$';

/**
 * An RFC 3339 date-time that PostgreSQL's timestamptz can hold, stored as PostgreSQL reads it: a leap
 * second (23:59:60 UTC) becomes the next second, digits beyond microseconds are rounded. The pattern
 * refuses what RFC 3339 allows but timestamptz cannot hold: year 0000, a fractional leap second and
 * offsets beyond ±15:59.
 */
export const TIMESTAMP_PATTERN =
  '^(?!0000)[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:(?:[0-5][0-9](?:\\.[0-9]+)?|60)(?:[Zz]|[+-](?:0[0-9]|1[0-5]):[0-5][0-9])$';

export const WritableTimestamp = Type.String({
  format: 'date-time',
  pattern: TIMESTAMP_PATTERN,
  description:
    'RFC 3339 date-time (e.g. 2024-05-01T12:00:00Z), stored as PostgreSQL reads it: a leap second (23:59:60 UTC) is stored as the next second; year 0000, a fractional leap second and offsets beyond ±15:59 are refused',
});

export const Currency = Type.Union([Type.Literal('USD'), Type.Literal('GBP'), Type.Literal('EUR')]);

/** Parses `?fields=` against an allow-list; returns the columns to select, id first, or an error sentence. */
export function selectFields<F extends string>(
  raw: string | undefined,
  allowed: readonly F[],
): { fields: F[] } | { error: string } {
  if (raw === undefined) return { fields: [...allowed] };
  const requested = raw.split(',');
  if (requested.some((name) => name === ''))
    return { error: 'fields must be a comma-separated list of names' };
  const unknown = requested.filter((name) => !(allowed as readonly string[]).includes(name));
  if (unknown.length > 0) {
    return { error: `fields: unknown field "${unknown[0]?.slice(0, 40)}"; allowed: ${allowed.join(', ')}` };
  }
  const chosen = new Set(['id', ...requested] as F[]);
  return { fields: allowed.filter((name) => chosen.has(name)) };
}
