import type { FastifyRequest } from 'fastify';
import type { GatehouseError, UpstreamError } from '../../core/errors.js';

/**
 * Logs a rendered error: exposed 4xx at `info`, 5xx at `error` with the cause chain. Never a token or a secret:
 * only the code, the upstream step/connector and the cause.
 */
export const logError = (request: FastifyRequest, error: GatehouseError): void => {
  const upstream = error as Partial<UpstreamError>;
  const fields = {
    // Not `code`: that field name is redacted everywhere, as it usually holds an authorization code.
    errorCode: error.code,
    ...(upstream.step === undefined ? {} : { step: upstream.step, connectorId: upstream.connectorId }),
  };
  if (error.expose) request.log.info({ ...fields, description: error.description }, 'request.rejected');
  else request.log.error({ ...fields, err: error.cause ?? error }, 'request.failed');
};
