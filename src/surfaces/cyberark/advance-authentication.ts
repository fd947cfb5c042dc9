import type { Static } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { GatehouseError } from '../../core/errors.js';
import type { AdvanceInput } from '../../core/flows/engine.js';
import type { Core } from '../../core/index.js';
import { okEnvelope, sendEnvelope } from './envelope.js';
import { sendLoginSuccess } from './login-success.js';
import type { AdvanceAuthenticationBody } from './schemas.js';
import { securityContext } from './tenant.js';

const actions: Readonly<Record<string, AdvanceInput['action']>> = {
  answer: 'answer',
  startoob: 'start_oob',
  poll: 'poll',
};

/** Told when a wrong-answer limit ended the session. */
const lockedOutMessage = 'Too many failed attempts. This authentication session has ended; start again.';

/**
 * `POST /Security/AdvanceAuthentication` `{TenantId, SessionId, MechanismId, Action: Answer|StartOOB|Poll, Answer}`:
 * `StartNextChallenge`, `OobPending`, `LoginSuccess` (with the `.ASPXAUTH` cookie), `LoginFailure` when the
 * wrong-answer limit ended the session, or `success: false` for a wrong answer.
 */
export const advanceAuthentication = (core: Core) => async (request: FastifyRequest, reply: FastifyReply) => {
  const body = request.body as Static<typeof AdvanceAuthenticationBody>;
  const action = actions[body.Action.toLowerCase()];
  if (action === undefined) throw new GatehouseError('invalid_request', 'Action must be Answer, StartOOB or Poll');
  const context = await securityContext(core, request, body.TenantId);
  const result = await core.mfa.advance({
    tenant: context.tenant,
    flow: { sessionId: body.SessionId },
    target: 'api',
    mechanismId: body.MechanismId,
    action,
    ...(body.Answer === undefined ? {} : { answer: body.Answer }),
    ip: request.ip,
  });
  switch (result.kind) {
    case 'next_challenge':
      return sendEnvelope(reply, okEnvelope({ Summary: 'StartNextChallenge' }));
    case 'oob_pending':
      return sendEnvelope(reply, okEnvelope({ Summary: 'OobPending' }));
    case 'login_failure':
      return sendEnvelope(reply, okEnvelope({ Summary: 'LoginFailure' }, lockedOutMessage));
    case 'complete':
      return sendLoginSuccess(reply, context, result.finished, core.settings.publicUrl);
  }
};
