// /users: the workshop's user resource.
import type { FastifyInstance } from 'fastify';
import { USER_FIELDS, User, UserCreate, UserList, UserUpdate } from '../schemas/users.js';
import { registerResource } from './resource.js';

export default async function usersRoutes(fastify: FastifyInstance): Promise<void> {
  registerResource<(typeof USER_FIELDS)[number], User, UserCreate | UserUpdate, UserCreate, UserUpdate>(
    fastify,
    {
      path: '/users',
      noun: 'user',
      fields: USER_FIELDS,
      scopes: { read: 'read:user', modify: 'modify:user' },
      schemas: { item: User, list: UserList, create: UserCreate, update: UserUpdate },
      repository: {
        list: (request) => fastify.repositories.users.list(request),
        get: (id, fields) => fastify.repositories.users.get(id, fields),
        create: (input) => fastify.repositories.users.create(input as UserCreate),
        update: (id, input) => fastify.repositories.users.update(id, input),
        remove: (id) => fastify.repositories.users.remove(id),
      },
      toWrite: (body) => body,
    },
  );
}
