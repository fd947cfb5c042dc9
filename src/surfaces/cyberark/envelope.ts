import type { FastifyReply } from 'fastify';

/**
 * The Security API's envelope, every key always present and in this order (seed 004): `success`, `Result`, then the
 * error fields, `null` on success.
 */
export interface Envelope {
  readonly success: boolean;
  readonly Result: unknown;
  readonly Message: string | null;
  readonly MessageID: string | null;
  readonly Exception: string | null;
  readonly ErrorID: string | null;
  readonly ErrorCode: string | null;
  readonly InnerExceptions: null;
}

export const okEnvelope = (result: unknown, message: string | null = null): Envelope => ({
  success: true,
  Result: result,
  Message: message,
  MessageID: null,
  Exception: null,
  ErrorID: null,
  ErrorCode: null,
  InnerExceptions: null,
});

/** Every Security API answer is HTTP 200; `success` says how it went. */
export const sendEnvelope = (reply: FastifyReply, envelope: Envelope) =>
  reply.code(200).header('cache-control', 'no-store').type('application/json; charset=utf-8').send(envelope);
