// Two Ajv instances: bodies are never type-coerced ("5" stays a string), query and path values are.
import type { FastifyInstance, FastifySchemaCompiler } from 'fastify';
import { Ajv, type Options } from 'ajv';
import addFormats from 'ajv-formats';

const shared: Options = {
  // Unknown fields are refused, not dropped: additionalProperties: false in /openapi.json means
  // exactly that, and a client learns at once that `id` or `is_admin` is not writable.
  removeAdditional: false,
  useDefaults: true,
  // allErrors would let one request make Ajv do unbounded work.
  allErrors: false,
  strict: false,
};

function createAjv(coerceTypes: Options['coerceTypes']): Ajv {
  const ajv = new Ajv({ ...shared, coerceTypes });
  addFormats.default(ajv);
  return ajv;
}

export function createValidatorCompiler(): FastifySchemaCompiler<unknown> {
  const body = createAjv(false);
  const other = createAjv('array');
  return ({ schema, httpPart }) => (httpPart === 'body' ? body : other).compile(schema as object);
}

type SchemaErrorFormatter = Parameters<FastifyInstance['setSchemaErrorFormatter']>[0];

/** Fastify's wording, except that an unknown field is named (Ajv keeps its name out of the message). */
export const schemaErrorFormatter: SchemaErrorFormatter = (errors, dataVar) => {
  const messages = errors.map((error) => {
    const where = `${dataVar}${error.instancePath ?? ''}`;
    const extra = (error.params as { additionalProperty?: unknown } | undefined)?.additionalProperty;
    if (error.keyword === 'additionalProperties' && typeof extra === 'string') {
      return `${where} must NOT have additional property ${JSON.stringify(extra.slice(0, 64))}`;
    }
    return `${where} ${error.message ?? 'is not valid'}`;
  });
  return new Error(messages.join(', '));
};
