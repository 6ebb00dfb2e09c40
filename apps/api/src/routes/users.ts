// /users: the workshop's user resource.
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { USER_FIELDS, User, UserCreate, UserList, UserListQuery, UserUpdate } from '../schemas/users.js';
import { resourceRoutes } from './resource.js';

export default async function usersRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const users = resourceRoutes({
    path: '/users',
    noun: 'user',
    fields: USER_FIELDS,
    scopes: { read: 'read:user', modify: 'modify:user' },
    schemas: { item: User, list: UserList },
    repository: fastify.repositories.users,
  });
  app.get('/users', users.listOptions(UserListQuery), (request, reply) =>
    users.list(reply, request.query, {}),
  );
  app.get('/users/:id', users.getOptions(), (request, reply) =>
    users.get(reply, request.params.id, request.query.fields),
  );
  app.post('/users', users.createOptions(UserCreate), (request, reply) =>
    users.create(request, reply, request.body),
  );
  app.put('/users/:id', users.updateOptions(UserUpdate), (request, reply) =>
    users.update(request, reply, request.params.id, request.body),
  );
  app.delete('/users/:id', users.removeOptions(), (request, reply) =>
    users.remove(request, reply, request.params.id),
  );
}
