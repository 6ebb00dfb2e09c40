// The API's PostgreSQL pool: the shared connector with the API's name, pool size and timestamp handling.
import type { DbConfig } from '../config.js';
import { connectPostgres, type Sql } from '../shared/postgres.js';

export type { Sql };

/**
 * Timestamps travel to PostgreSQL as the text the client sent, so PostgreSQL (not JavaScript's Date,
 * which throws on a leap second) decides: 23:59:60 is stored as the next second, and anything it
 * cannot hold is a data exception the error handler answers with 400.
 */
const TIMESTAMPTZ_AS_TEXT = {
  to: 1184,
  // No `from`: rows are parsed as before (the repositories select timestamps as text anyway).
  from: [] as number[],
  serialize: (value: unknown): string => (value instanceof Date ? value.toISOString() : String(value)),
  parse: (raw: string): string => raw,
};

export interface SqlOptions {
  max?: number;
  connectTimeoutSeconds?: number;
}

export function createSql(config: DbConfig, tuning: SqlOptions = {}): Sql {
  return connectPostgres(config, {
    applicationName: 'secure-workshop-api',
    max: tuning.max ?? 10,
    connectTimeoutSeconds: tuning.connectTimeoutSeconds ?? 10,
    prepare: config.prepare,
    types: { timestamptz: TIMESTAMPTZ_AS_TEXT },
  });
}
