import { GatehouseError } from '../../core/errors.js';
import type { LoginFlow } from '../../core/flows/flow.js';

/** What the IdP callback learnt of a flow the Security API started. */
export interface ExtIdpOutcome {
  readonly state: string;
  readonly flow: LoginFlow;
  /** Absent when the user signed in (the flow waits to be resumed). */
  readonly error?: GatehouseError;
}

/** The `error` a failed flow reports to the Security API caller: the IdP's own word, or Gatehouse's code. */
const errorName = (error: GatehouseError): string => {
  const upstream = error.details?.error;
  return error.code === 'idp_error' && typeof upstream === 'string' ? upstream : error.code;
};

/**
 * Where the browser goes after the IdP callback of a flow the Security API started: its `PostExtIdpAuthCallbackUrl`
 * (seed 004) with `customerId`, `ExtIdpAuthChallengeState` and `username`, or `error` and `error_description` when
 * the flow failed. The caller then resumes with `ResumeFromExtIdpAuth`.
 */
export const extIdpReturnUrl = (outcome: ExtIdpOutcome, callbackUrl: string): string => {
  const url = new URL(callbackUrl);
  url.searchParams.set('customerId', outcome.flow.tenantId);
  url.searchParams.set('ExtIdpAuthChallengeState', outcome.state);
  if (outcome.error === undefined) url.searchParams.set('username', outcome.flow.username ?? '');
  else {
    url.searchParams.set('error', errorName(outcome.error));
    url.searchParams.set('error_description', outcome.error.expose ? outcome.error.message : 'the sign-in failed');
  }
  return url.href;
};

/**
 * The Security API's return from the IdP callback (the browser surface's, supplied by the composition): a flow it
 * started goes back to its caller's callback URL.
 */
export const securityApiReturn = (outcome: ExtIdpOutcome): string => {
  const { target } = outcome.flow;
  if (target.kind !== 'api' || target.callbackUrl === undefined)
    throw new GatehouseError('flow_invalid', 'this login has no callback URL');
  return extIdpReturnUrl(outcome, target.callbackUrl);
};
