import type { Connector } from '../../../connectors/connector.js';
import { type ConnectorError, isConnectorError } from '../../../connectors/errors.js';
import { connectorDefinition, validateConnectionSettings } from '../../../connectors/registry.js';
import { GatehouseError, UpstreamError, type UpstreamStep } from '../../errors.js';

/**
 * The one translation of a connector's closed error union into the core's catalogue. The message is kept as the
 * description (a 4xx description reaches the client); the step tags upstream failures; the IdP's rate limit reaches
 * the client as `rate_limited` with its `Retry-After`.
 */
export const fromConnectorError = (connectorId: string, error: ConnectorError): GatehouseError => {
  const options = { cause: error, ...(error.details === undefined ? {} : { details: error.details }) };
  switch (error.code) {
    case 'invalid_config':
    case 'invalid_callback':
      return new GatehouseError('invalid_request', error.message, options);
    case 'invalid_token':
      return new GatehouseError('idp_token_invalid', error.message, options);
    case 'wrong_audience':
      return new GatehouseError('idp_wrong_audience', error.message, options);
    case 'unsupported_token_type':
      return new GatehouseError('unsupported_token_type', error.message, options);
    case 'access_denied':
      return new GatehouseError('access_denied', error.message, options);
    case 'idp_error':
      return new GatehouseError('idp_error', error.message, options);
    case 'state_mismatch':
      return new GatehouseError('flow_invalid', error.message, options);
    case 'rate_limited':
      return new GatehouseError('rate_limited', `${error.message}; retry later`, {
        cause: error,
        details: { retryAfterSeconds: error.retryAfterSeconds ?? 60, policy: `upstream:${connectorId}` },
      });
    case 'idp_unavailable':
    case 'idp_refused': {
      const step: UpstreamStep = error.step === 'config' ? 'discovery' : error.step;
      // The IdP's own `Retry-After` reaches the client with the 502, as it does with a rate limit.
      return new UpstreamError(connectorId, step, error.message, {
        cause: error,
        ...(error.upstreamStatus === undefined ? {} : { upstreamStatus: error.upstreamStatus }),
        ...(error.retryAfterSeconds === undefined ? {} : { details: { retryAfterSeconds: error.retryAfterSeconds } }),
      });
    }
  }
};

/** Runs `run`, translating a ConnectorError it throws (or its promise rejects with). */
export const translated = <T>(connectorId: string, run: () => T): T => {
  try {
    const result = run();
    if (result instanceof Promise) {
      return result.catch((error: unknown) => {
        throw isConnectorError(error) ? fromConnectorError(connectorId, error) : error;
      }) as T;
    }
    return result;
  } catch (error) {
    throw isConnectorError(error) ? fromConnectorError(connectorId, error) : error;
  }
};

/** `connector`, whose failures reach the core as `GatehouseError`s (`fromConnectorError`). */
export const translating = (connector: Connector): Connector => ({
  id: connector.id,
  kind: connector.kind,
  issuer: connector.issuer,
  displayName: connector.displayName,
  responseMode: connector.responseMode,
  authorizationUrl: (request) => translated(connector.id, () => connector.authorizationUrl(request)),
  completeAuthorization: (callback, request) =>
    translated(connector.id, () => connector.completeAuthorization(callback, request)),
  verifyToken: (token) => translated(connector.id, () => connector.verifyToken(token)),
});

/**
 * The registry's checks of a connection's kind and settings, for the core's admin and import paths.
 * @throws GatehouseError `invalid_request` (with `details.errors` for invalid settings)
 */
export const connectorKinds = {
  definition: (kind: string) => translated(kind, () => connectorDefinition(kind)),
  validateSettings: (kind: string, settings: unknown) =>
    translated(kind, () => validateConnectionSettings(kind, settings)),
};
