// The seed workshop's end-state API on its own stack, for comparison only: Express 4 with morgan,
// cookie-parser and helmet, jsonwebtoken HS256 bearer tokens with permissions, HTTPS from
// TLS_CERT_DIR, Sequelize + pg verifying PostgreSQL's certificate against the CA (verify-full).
import cookieParser from 'cookie-parser';
import express from 'express';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import helmet from 'helmet';
import jwt from 'jsonwebtoken';
import logger from 'morgan';
import { DataTypes, Sequelize } from 'sequelize';

const env = process.env;
const certDir = env.TLS_CERT_DIR ?? '/etc/tls';
const tokenSecret = env.TOKEN_SECRET;
if (!tokenSecret) throw new Error('TOKEN_SECRET is required');

const sequelize = new Sequelize({
  dialect: 'postgres',
  host: env.PGHOST,
  port: Number(env.PGPORT ?? 5432),
  database: env.PGDATABASE,
  username: env.PGUSER,
  password: env.PGPASSWORD,
  logging: false,
  // Same pool size as the API under comparison: the stacks are compared, not the pool defaults.
  pool: { max: Number(env.PG_POOL_MAX ?? 10) },
  dialectOptions: { ssl: { ca: readFileSync(env.PGSSLROOTCERT ?? `${certDir}/ca.crt`, 'utf8') } },
});

const User = sequelize.define(
  'user',
  {
    id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
    credit_card: DataTypes.TEXT,
    currency: DataTypes.TEXT,
    email: DataTypes.TEXT,
    is_active: DataTypes.BOOLEAN,
    country: DataTypes.TEXT,
    num_logins: DataTypes.INTEGER,
    password_hash: DataTypes.TEXT,
    username: DataTypes.TEXT,
    created_at: DataTypes.DATE,
  },
  { tableName: 'users', timestamps: false },
);

const Transaction = sequelize.define(
  'transaction',
  {
    id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
    amount: DataTypes.DECIMAL(14, 2),
    currency: DataTypes.TEXT,
    description: DataTypes.TEXT,
    timestamp: { type: DataTypes.DATE, defaultValue: DataTypes.NOW },
    user_id: DataTypes.INTEGER,
  },
  { tableName: 'transactions', timestamps: false },
);

const bearer = /^Bearer (.+)$/i;

function authenticate(req, res, next) {
  const token = req.headers.authorization?.match(bearer);
  if (token == null) return res.sendStatus(401);
  jwt.verify(token[1], tokenSecret, { algorithms: ['HS256'] }, (err, data) => {
    if (err) return res.sendStatus(401);
    req.user = data;
    next();
  });
}

// The seed's authorize() called next() and then answered 401 as well; this is the intended version.
function authorize(permission) {
  return (req, res, next) => {
    if (req.user?.permissions?.includes(permission)) return next();
    return res.sendStatus(401);
  };
}

const app = express();
app.use(logger('dev'));
app.use(express.json());
app.use(express.urlencoded({ extended: false }));
app.set('query parser', 'simple');
app.use(cookieParser());
app.use(helmet());

const users = express.Router();
users.get('/:id', authenticate, async (req, res, next) => {
  try {
    const user = await User.findByPk(req.params.id);
    if (!user) return res.status(404).json({ error: 'not found' });
    res.json(user);
  } catch (error) {
    next(error);
  }
});

const transactions = express.Router();
transactions.get('/', authenticate, async (req, res, next) => {
  try {
    const limit = Math.min(Number(req.query.limit) || 100, 1000);
    res.json(await Transaction.findAll({ limit, order: [['id', 'ASC']] }));
  } catch (error) {
    next(error);
  }
});
transactions.post('/', [authenticate, authorize('modify:transaction')], async (req, res, next) => {
  try {
    const { amount, currency, description, user_id } = req.body;
    res.status(201).json(await Transaction.create({ amount, currency, description, user_id }));
  } catch (error) {
    next(error);
  }
});

app.use('/users', users);
app.use('/transactions', transactions);
app.use((_req, res) => res.status(404).json({ error: 'unknown route' }));

const server = createServer(
  {
    key: readFileSync(`${certDir}/tls.key`, 'utf8'),
    cert: readFileSync(`${certDir}/tls.crt`, 'utf8'),
  },
  app,
);
await sequelize.authenticate();
server.listen(Number(env.PORT ?? 3000), env.HOST ?? '127.0.0.1', () => {
  console.error(`baseline-express listening on ${env.PORT}`);
});
process.on('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
  void sequelize.close();
});
