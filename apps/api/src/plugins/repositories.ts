// The domain's data access, decorated onto the instance so routes never see SQL.
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Sql } from '../db/client.js';
import type { ResourceRepository } from '../repositories/rows.js';
import { TransactionsRepository } from '../repositories/transactions.js';
import { UsersRepository } from '../repositories/users.js';
import type {
  Transaction,
  TransactionCreate,
  TransactionField,
  TransactionUpdate,
} from '../schemas/transactions.js';
import type { User, UserCreate, UserField, UserUpdate } from '../schemas/users.js';

export type UserRepository = ResourceRepository<UserField, User, UserCreate, UserUpdate>;
export type TransactionRepository = ResourceRepository<
  TransactionField,
  Transaction,
  TransactionCreate,
  TransactionUpdate,
  { userId?: number | undefined }
>;

/** The domain's stores as the routes see them: interfaces, so tests can hand in fakes. */
export interface Repositories {
  users: UserRepository;
  transactions: TransactionRepository;
  /** True when PostgreSQL answers a trivial query within the deadline. */
  databaseReady(timeoutMs?: number): Promise<boolean>;
}

declare module 'fastify' {
  interface FastifyInstance {
    repositories: Repositories;
  }
}

export function createRepositories(sql: Sql): Repositories {
  return {
    users: new UsersRepository(sql),
    transactions: new TransactionsRepository(sql),
    async databaseReady(timeoutMs = 2000) {
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs);
      });
      const probe = sql`select 1`.then(
        () => true,
        () => false,
      );
      try {
        return await Promise.race([probe, deadline]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

async function repositoriesPlugin(
  fastify: FastifyInstance,
  options: { repositories: Repositories },
): Promise<void> {
  fastify.decorate('repositories', options.repositories);
}

export default fp(repositoriesPlugin, { name: 'repositories' });
