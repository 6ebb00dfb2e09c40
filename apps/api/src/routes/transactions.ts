// /transactions: the workshop's transaction resource; money is normalised to a 2-decimal string.
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { MAX_INT } from '../schemas/common.js';
import {
  TRANSACTION_FIELDS,
  Transaction,
  TransactionCreate,
  TransactionList,
  TransactionUpdate,
  normalizeAmount,
} from '../schemas/transactions.js';
import type { TransactionWrite } from '../repositories/transactions.js';
import { registerResource } from './resource.js';

function toWrite(body: TransactionCreate | TransactionUpdate): TransactionWrite | string {
  if (body.amount === undefined) return { ...body, amount: undefined };
  const amount = normalizeAmount(body.amount);
  if (amount === undefined) return 'amount must have at most 12 digits before and 2 after the decimal point';
  return { ...body, amount };
}

export default async function transactionsRoutes(fastify: FastifyInstance): Promise<void> {
  registerResource<
    (typeof TRANSACTION_FIELDS)[number],
    Transaction,
    TransactionWrite,
    TransactionCreate,
    TransactionUpdate
  >(fastify, {
    path: '/transactions',
    noun: 'transaction',
    fields: TRANSACTION_FIELDS,
    scopes: { read: 'read:transaction', modify: 'modify:transaction' },
    schemas: {
      item: Transaction,
      list: TransactionList,
      create: TransactionCreate,
      update: TransactionUpdate,
    },
    listFilters: {
      properties: { user_id: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_INT })) },
      toRequest: (query) => (query.user_id === undefined ? {} : { userId: query.user_id }),
    },
    repository: fastify.repositories.transactions,
    toWrite,
  });
}
