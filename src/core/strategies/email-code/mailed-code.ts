import { randomInt } from 'node:crypto';
import { constantTimeEqual, randomToken, sha256 } from '../../../lib/crypto.js';
import { newId } from '../../../lib/ids.js';
import { selfServiceFlowsRepo } from '../../../store/repositories/self-service-flows.js';
import type { SelfServiceFlowRow, SelfServiceFlowsTable } from '../../../store/schema.js';
import type { CoreDeps } from '../../deps.js';

export type MailedCodeKind = SelfServiceFlowsTable['kind'];

/** How long a mailed self-service code and link work. */
export const mailedCodeLifetimeMs = 15 * 60 * 1000;

/** Wrong answers that end a mailed code (the fifth wrong one kills it). */
export const maxWrongCodes = 5;

/** The code is bound to its flow and to the address it was mailed to: a code for one address never matches another. */
const codeDigest = (flowId: string, email: string, code: string): string => sha256(`${flowId}:${email}:${code}`);

/** The result of answering a mailed code. */
export type CodeAnswer = { readonly ok: true; readonly flow: SelfServiceFlowRow } | { readonly ok: false };

/**
 * Mailed codes of the self-service flows: a six-digit code and a link token, both single use, for one address, for
 * {@link mailedCodeLifetimeMs}. A new code for the same address and kind supersedes the previous one. Only digests are
 * stored.
 */
export const createMailedCodes = (deps: CoreDeps) => {
  const now = () => deps.clock.now();
  return {
    /**
     * Stores a new code for (`kind`, `email`) and returns it with its link token. `dead`: a record that can never be
     * answered (already expired), written only so an answer takes the same statements whichever the case; it
     * supersedes nothing (the supersede statement still runs, matching no row).
     */
    issue: async (input: {
      tenantId: string;
      kind: MailedCodeKind;
      email: string;
      userId: string | null;
      dead?: boolean;
    }): Promise<{ code: string; token: string; flowId: string }> => {
      const at = now();
      const id = newId();
      const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
      const token = randomToken(32);
      const dead = input.dead === true;
      await deps.db.transaction().execute(async (trx) => {
        await selfServiceFlowsRepo.supersede(trx, input.tenantId, input.kind, dead ? '' : input.email);
        await selfServiceFlowsRepo.insert(trx, {
          id,
          tenant_id: input.tenantId,
          kind: input.kind,
          email: input.email,
          user_id: input.userId,
          code_digest: codeDigest(id, input.email, code),
          link_digest: sha256(token),
          created_at: at,
          expires_at: dead ? at : new Date(at.getTime() + mailedCodeLifetimeMs),
        });
      });
      return { code, token, flowId: id };
    },

    /**
     * Checks a typed code against the newest live code of (`kind`, `email`), in constant time. A wrong answer counts
     * against that code, and the {@link maxWrongCodes}th ends it. A right one is returned unspent: the kind's completion
     * spends it in its own transaction.
     */
    answer: async (input: {
      tenantId: string;
      kind: MailedCodeKind;
      email: string;
      code: string;
    }): Promise<CodeAnswer> => {
      const at = now();
      const flow = await selfServiceFlowsRepo.latestPending(deps.db, input.tenantId, input.kind, input.email, at);
      if (flow === undefined) return { ok: false };
      const code = input.code.replace(/\s+/g, '');
      const right = /^\d{6}$/.test(code) && constantTimeEqual(codeDigest(flow.id, input.email, code), flow.code_digest);
      if (right) return { ok: true, flow };
      await selfServiceFlowsRepo.countWrongAnswer(deps.db, flow.id, maxWrongCodes);
      return { ok: false };
    },

    /** The live flow a mailed link's token names, of `kind` in the tenant; undefined when unknown, spent or expired. */
    byLink: async (tenantId: string, kind: MailedCodeKind, token: string): Promise<SelfServiceFlowRow | undefined> => {
      const flow = await selfServiceFlowsRepo.findByLink(deps.db, sha256(token));
      if (flow === undefined || flow.tenant_id !== tenantId || flow.kind !== kind) return undefined;
      return flow.status === 'pending' && flow.expires_at > now() ? flow : undefined;
    },
  };
};

export type MailedCodes = ReturnType<typeof createMailedCodes>;
