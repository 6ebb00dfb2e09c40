// The five routes of a resource (list, get, create, update, delete) with scopes, audit lines and JSON errors.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type, type TSchema } from 'typebox';
import { AUDIT_ACTIONS, AUDIT_OUTCOMES, auditRequest, type AuditAction } from '../audit.js';
import { errorBody } from '../plugins/errors.js';
import type { Page, PageRequest } from '../repositories/rows.js';
import {
  IdParams,
  FieldsQuery,
  PageQueryProperties,
  errorResponses,
  selectFields,
} from '../schemas/common.js';
import type { Scope } from '../scopes.js';
import { SECURITY_SCHEME } from '../plugins/openapi.js';

export interface ResourceRepository<F extends string, Item, Write> {
  list(request: PageRequest<F> & Record<string, unknown>): Promise<Page<Item>>;
  get(id: number, fields: readonly F[]): Promise<Item | undefined>;
  create(input: Write): Promise<Item>;
  update(id: number, input: Write): Promise<Item | undefined>;
  remove(id: number): Promise<boolean>;
}

export interface ResourceSpec<F extends string, Item, Write, Create, Update> {
  /** Collection path, e.g. /users. */
  path: string;
  noun: string;
  fields: readonly F[];
  scopes: { read: Scope; modify: Scope };
  schemas: { item: TSchema; list: TSchema; create: TSchema; update: TSchema };
  /** Extra list filters: schema properties and how they become repository arguments. */
  listFilters?: {
    properties: Record<string, TSchema>;
    toRequest(query: Record<string, unknown>): Record<string, unknown>;
  };
  repository: ResourceRepository<F, Item, Write>;
  /** Turns a validated body into a repository write, or a sentence saying what is wrong. */
  toWrite(body: Create | Update): Write | string;
}

interface ListQuery {
  limit: number;
  after?: number;
  fields?: string;
  [filter: string]: unknown;
}

function badRequest(reply: FastifyReply, message: string): FastifyReply {
  return reply.code(400).send(errorBody(400, message));
}

function nextLink(path: string, query: ListQuery, after: number): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && key !== 'after') params.set(key, String(value));
  }
  params.set('after', String(after));
  // Relative reference from the route, not the request: neither Host nor the raw path is echoed.
  return `<${path}?${params.toString()}>; rel="next"`;
}

export function registerResource<F extends string, Item, Write, Create, Update>(
  fastify: FastifyInstance,
  spec: ResourceSpec<F, Item, Write, Create, Update>,
): void {
  const { path, noun, scopes, schemas, repository } = spec;
  const tags = [`${noun}s`];
  const readSecurity = [{ [SECURITY_SCHEME]: [scopes.read] }];
  const modifySecurity = [{ [SECURITY_SCHEME]: [scopes.modify] }];
  const itemPath = `${path}/:id`;

  const audited = async <T>(
    request: FastifyRequest,
    action: AuditAction,
    target: string,
    work: () => Promise<T | undefined>,
  ): Promise<T | undefined> => {
    try {
      const result = await work();
      const outcome = result === undefined ? AUDIT_OUTCOMES.failure : AUDIT_OUTCOMES.success;
      const createdId = (result as { id?: unknown } | undefined)?.id;
      auditRequest(request, {
        action,
        target: typeof createdId === 'number' ? `${noun}:${createdId}` : target,
        outcome,
        ...(result === undefined ? { reason: 'not found' } : {}),
      });
      return result;
    } catch (error) {
      const code = (error as { code?: string }).code ?? 'error';
      auditRequest(request, { action, target, outcome: AUDIT_OUTCOMES.failure, reason: `database ${code}` });
      throw error;
    }
  };

  fastify.get(
    path,
    {
      config: { scope: scopes.read },
      schema: {
        tags,
        summary: `List ${noun}s by id, one page at a time (next page in the Link header)`,
        security: readSecurity,
        querystring: Type.Object(
          { ...PageQueryProperties(spec.fields), ...(spec.listFilters?.properties ?? {}) },
          { additionalProperties: false },
        ),
        response: { 200: schemas.list, ...errorResponses },
      },
    },
    async (request, reply) => {
      const query = request.query as ListQuery;
      const selected = selectFields(query.fields, spec.fields);
      if ('error' in selected) return badRequest(reply, selected.error);
      const page = await repository.list({
        limit: query.limit,
        after: query.after ?? 0,
        fields: selected.fields,
        ...(spec.listFilters?.toRequest(query) ?? {}),
      });
      if (page.nextAfter !== undefined) reply.header('link', nextLink(path, query, page.nextAfter));
      return page.items;
    },
  );

  fastify.get(
    itemPath,
    {
      config: { scope: scopes.read },
      schema: {
        tags,
        summary: `Get one ${noun}`,
        security: readSecurity,
        params: IdParams,
        querystring: FieldsQuery(spec.fields),
        response: { 200: schemas.item, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { id } = request.params as IdParams;
      const selected = selectFields((request.query as FieldsQuery).fields, spec.fields);
      if ('error' in selected) return badRequest(reply, selected.error);
      const item = await repository.get(id, selected.fields);
      if (item === undefined) return reply.code(404).send(errorBody(404, `${noun} ${id} not found`));
      return item;
    },
  );

  fastify.post(
    path,
    {
      config: { scope: scopes.modify },
      schema: {
        tags,
        summary: `Create a ${noun} (unknown fields, including id, are refused with 400)`,
        security: modifySecurity,
        body: schemas.create,
        response: { 201: schemas.item, ...errorResponses },
      },
    },
    async (request, reply) => {
      const write = spec.toWrite(request.body as Create);
      if (typeof write === 'string') return badRequest(reply, write);
      const created = await audited(request, AUDIT_ACTIONS.create, `${noun}:new`, () =>
        repository.create(write),
      );
      const id = (created as { id?: number } | undefined)?.id;
      return reply.code(201).header('location', `${path}/${id}`).send(created);
    },
  );

  fastify.put(
    itemPath,
    {
      config: { scope: scopes.modify },
      schema: {
        tags,
        summary: `Change some fields of a ${noun}`,
        security: modifySecurity,
        params: IdParams,
        body: schemas.update,
        response: { 200: schemas.item, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { id } = request.params as IdParams;
      const write = spec.toWrite(request.body as Update);
      if (typeof write === 'string') return badRequest(reply, write);
      const updated = await audited(request, AUDIT_ACTIONS.update, `${noun}:${id}`, () =>
        repository.update(id, write),
      );
      if (updated === undefined) return reply.code(404).send(errorBody(404, `${noun} ${id} not found`));
      return updated;
    },
  );

  fastify.delete(
    itemPath,
    {
      config: { scope: scopes.modify },
      schema: {
        tags,
        summary: `Delete a ${noun} (409 while other records refer to it)`,
        security: modifySecurity,
        params: IdParams,
        response: { 204: Type.Null(), ...errorResponses },
      },
    },
    async (request, reply) => {
      const { id } = request.params as IdParams;
      const removed = await audited(request, AUDIT_ACTIONS.delete, `${noun}:${id}`, async () =>
        (await repository.remove(id)) ? true : undefined,
      );
      if (removed === undefined) return reply.code(404).send(errorBody(404, `${noun} ${id} not found`));
      return reply.code(204).send();
    },
  );
}
