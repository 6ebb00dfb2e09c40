// Audit log lines: one per auth decision and per write (field names in signals.ts).
import type { FastifyBaseLogger, FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import {
  AUDIT_ACTIONS,
  AUDIT_FIELDS,
  AUDIT_OUTCOMES,
  type AuditAction,
  type AuditOutcome,
} from '@secure-workshop/contracts';

export { AUDIT_ACTIONS, AUDIT_FIELDS, AUDIT_OUTCOMES, type AuditAction, type AuditOutcome };

declare module 'fastify' {
  interface FastifyInstance {
    auditLog: FastifyBaseLogger;
  }
}

export interface AuditEvent {
  action: AuditAction;
  actor: string;
  target: string;
  outcome: AuditOutcome;
  reqId: string;
  /** A short machine reason for denials and failures (never a credential). */
  reason?: string;
}

/** Writes one audit line; not the request's child logger, which would add a second `reqId`. */
export function writeAudit(log: FastifyBaseLogger, event: AuditEvent): void {
  log.info(
    {
      [AUDIT_FIELDS.marker]: true,
      [AUDIT_FIELDS.action]: event.action,
      [AUDIT_FIELDS.actor]: event.actor,
      [AUDIT_FIELDS.target]: event.target,
      [AUDIT_FIELDS.outcome]: event.outcome,
      [AUDIT_FIELDS.reqId]: event.reqId,
      ...(event.reason ? { reason: event.reason } : {}),
    },
    'audit',
  );
}

/** The authenticated caller, or "anonymous" (AUTH_MODE=none or before authentication). */
export function actorOf(request: FastifyRequest): string {
  return request.principal?.subject ?? 'anonymous';
}

export function auditRequest(
  request: FastifyRequest,
  event: Omit<AuditEvent, 'actor' | 'reqId'> & { actor?: string },
): void {
  writeAudit(request.server.auditLog, { actor: actorOf(request), reqId: request.id, ...event });
}

// Audit lines are kept at any LOG_LEVEL up to warn: only "silent" (or fatal/error) turns them off.
async function auditLogger(fastify: FastifyInstance): Promise<void> {
  const quiet = ['silent', 'fatal', 'error'].includes(fastify.log.level);
  fastify.decorate('auditLog', quiet ? fastify.log : fastify.log.child({}, { level: 'info' }));
}

export const auditPlugin = fp(auditLogger, { name: 'audit' });
