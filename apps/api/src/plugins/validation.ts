// Two Ajv instances: bodies are never type-coerced ("5" stays a string), query and path values are.
import type { FastifySchemaCompiler } from 'fastify';
import { Ajv, type Options } from 'ajv';
import addFormats from 'ajv-formats';

const shared: Options = {
  removeAdditional: true,
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
