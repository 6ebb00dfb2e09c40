// The five routes of a resource (list, get, create, update, delete): scopes, audit lines and JSON errors.
// Each resource registers them with its own schemas, so the TypeBox type provider types every request.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type, type TSchema } from 'typebox';
import { AUDIT_ACTIONS, AUDIT_OUTCOMES, auditRequest, type AuditAction } from '../audit.js';
import { errorBody } from '../plugins/errors.js';
import { SECURITY_SCHEME } from '../plugins/openapi.js';
import type { ResourceRepository } from '../repositories/rows.js';
import { DEFAULT_LIMIT, FieldsQuery, IdParams, errorResponses, selectFields } from '../schemas/common.js';
import type { Scope } from '@secure-workshop/contracts';

export interface ResourceOptions<
  F extends string,
  Item extends { id: number },
  Create,
  Update,
  Filter extends object,
> {
  /** Collection path, e.g. /users. */
  path: string;
  noun: string;
  fields: readonly F[];
  scopes: { read: Scope; modify: Scope };
  schemas: { item: TSchema; list: TSchema };
  repository: ResourceRepository<F, Item, Create, Update, Filter>;
}

/** A list request's query as validated: the page, the fields, and any filter the resource adds. */
export interface ListQuery {
  limit?: number;
  after?: number;
  fields?: string;
}

function nextLink(path: string, query: object, after: number): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && key !== 'after') params.set(key, String(value));
  }
  params.set('after', String(after));
  // Relative reference from the route, not the request: neither Host nor the raw path is echoed.
  return `<${path}?${params.toString()}>; rel="next"`;
}

/** Route options (scope, OpenAPI text, schemas) and handlers of one resource's five routes. */
export function resourceRoutes<
  F extends string,
  Item extends { id: number },
  Create,
  Update,
  Filter extends object,
>(options: ResourceOptions<F, Item, Create, Update, Filter>) {
  const { path, noun, fields, scopes, schemas, repository } = options;
  const tags = [`${noun}s`];
  const read = { config: { scope: scopes.read }, security: [{ [SECURITY_SCHEME]: [scopes.read] }] };
  const modify = { config: { scope: scopes.modify }, security: [{ [SECURITY_SCHEME]: [scopes.modify] }] };
  const notFound = (reply: FastifyReply, id: number) =>
    reply.code(404).send(errorBody(404, `${noun} ${id} not found`));

  const audited = async <T>(
    request: FastifyRequest,
    action: AuditAction,
    target: string,
    work: () => Promise<T | undefined>,
  ): Promise<T | undefined> => {
    try {
      const result = await work();
      const createdId = (result as { id?: unknown } | undefined)?.id;
      auditRequest(request, {
        action,
        target: typeof createdId === 'number' ? `${noun}:${createdId}` : target,
        outcome: result === undefined ? AUDIT_OUTCOMES.failure : AUDIT_OUTCOMES.success,
        ...(result === undefined ? { reason: 'not found' } : {}),
      });
      return result;
    } catch (error) {
      const code = (error as { code?: string }).code ?? 'error';
      auditRequest(request, { action, target, outcome: AUDIT_OUTCOMES.failure, reason: `database ${code}` });
      throw error;
    }
  };

  return {
    listOptions: <Q extends TSchema>(querystring: Q) => ({
      config: read.config,
      schema: {
        tags,
        summary: `List ${noun}s by id, one page at a time (next page in the Link header)`,
        security: read.security,
        querystring,
        response: { 200: schemas.list, ...errorResponses },
      },
    }),
    async list(reply: FastifyReply, query: ListQuery, filter: Filter): Promise<Item[] | FastifyReply> {
      const selected = selectFields(query.fields, fields);
      if ('error' in selected) return reply.code(400).send(errorBody(400, selected.error));
      const page = await repository.list({
        limit: query.limit ?? DEFAULT_LIMIT,
        after: query.after ?? 0,
        fields: selected.fields,
        ...filter,
      });
      if (page.nextAfter !== undefined) reply.header('link', nextLink(path, query, page.nextAfter));
      return page.items;
    },

    getOptions: () => ({
      config: read.config,
      schema: {
        tags,
        summary: `Get one ${noun}`,
        security: read.security,
        params: IdParams,
        querystring: FieldsQuery(fields),
        response: { 200: schemas.item, ...errorResponses },
      },
    }),
    async get(reply: FastifyReply, id: number, requested: string | undefined): Promise<Item | FastifyReply> {
      const selected = selectFields(requested, fields);
      if ('error' in selected) return reply.code(400).send(errorBody(400, selected.error));
      return (await repository.get(id, selected.fields)) ?? notFound(reply, id);
    },

    createOptions: <B extends TSchema>(body: B) => ({
      config: modify.config,
      schema: {
        tags,
        summary: `Create a ${noun} (unknown fields, including id, are refused with 400)`,
        security: modify.security,
        body,
        response: { 201: schemas.item, ...errorResponses },
      },
    }),
    async create(request: FastifyRequest, reply: FastifyReply, input: Create): Promise<FastifyReply> {
      const created = await audited(request, AUDIT_ACTIONS.create, `${noun}:new`, () =>
        repository.create(input),
      );
      return reply.code(201).header('location', `${path}/${created?.id}`).send(created);
    },

    updateOptions: <B extends TSchema>(body: B) => ({
      config: modify.config,
      schema: {
        tags,
        summary: `Change some fields of a ${noun}`,
        security: modify.security,
        params: IdParams,
        body,
        response: { 200: schemas.item, ...errorResponses },
      },
    }),
    async update(
      request: FastifyRequest,
      reply: FastifyReply,
      id: number,
      input: Update,
    ): Promise<Item | FastifyReply> {
      const updated = await audited(request, AUDIT_ACTIONS.update, `${noun}:${id}`, () =>
        repository.update(id, input),
      );
      return updated ?? notFound(reply, id);
    },

    removeOptions: () => ({
      config: modify.config,
      schema: {
        tags,
        summary: `Delete a ${noun} (409 while other records refer to it)`,
        security: modify.security,
        params: IdParams,
        response: { 204: Type.Null(), ...errorResponses },
      },
    }),
    /** Sends its answer itself (the 204 schema admits no body to return). */
    async remove(request: FastifyRequest, reply: FastifyReply, id: number): Promise<void> {
      const removed = await audited(request, AUDIT_ACTIONS.delete, `${noun}:${id}`, async () =>
        (await repository.remove(id)) ? true : undefined,
      );
      if (removed === undefined) notFound(reply, id);
      else reply.code(204).send();
    },
  };
}
