// /transactions: the workshop's transaction resource; money travels as a 2-decimal string.
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import {
  TRANSACTION_FIELDS,
  Transaction,
  TransactionCreate,
  TransactionList,
  TransactionListQuery,
  TransactionUpdate,
} from '../schemas/transactions.js';
import { resourceRoutes } from './resource.js';

export default async function transactionsRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const transactions = resourceRoutes({
    path: '/transactions',
    noun: 'transaction',
    fields: TRANSACTION_FIELDS,
    scopes: { read: 'read:transaction', modify: 'modify:transaction' },
    schemas: { item: Transaction, list: TransactionList },
    repository: fastify.repositories.transactions,
  });
  app.get('/transactions', transactions.listOptions(TransactionListQuery), (request, reply) =>
    transactions.list(reply, request.query, { userId: request.query.user_id }),
  );
  app.get('/transactions/:id', transactions.getOptions(), (request, reply) =>
    transactions.get(reply, request.params.id, request.query.fields),
  );
  app.post('/transactions', transactions.createOptions(TransactionCreate), (request, reply) =>
    transactions.create(request, reply, request.body),
  );
  app.put('/transactions/:id', transactions.updateOptions(TransactionUpdate), (request, reply) =>
    transactions.update(request, reply, request.params.id, request.body),
  );
  app.delete('/transactions/:id', transactions.removeOptions(), (request, reply) =>
    transactions.remove(request, reply, request.params.id),
  );
}
