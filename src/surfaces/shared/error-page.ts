import type { FastifyReply } from 'fastify';
import { errorCatalog, type GatehouseError } from '../../core/errors.js';
import { html, sendPage } from './html.js';
import { oauthErrors } from './oauth-errors.js';

/** What a person can do about each kind of failure; the RFC name and description follow for the developer. */
const advice = (error: GatehouseError): string => {
  switch (error.code) {
    case 'flow_invalid':
      return 'This sign-in link has expired or was already used. Go back to the application and start again.';
    case 'invalid_client':
    case 'invalid_request':
      return 'The application sent an invalid sign-in request, so you cannot continue from here.';
    case 'not_found':
      return 'There is nothing at this address.';
    default:
      return error.expose ? 'The request cannot be completed.' : 'Something went wrong on our side. Try again later.';
  }
};

/**
 * An error shown to the person in the browser (when it must not, or cannot, go back to the client). 401 becomes 400:
 * a page has no `WWW-Authenticate` challenge to offer.
 */
export const sendErrorPage = (reply: FastifyReply, error: GatehouseError) => {
  const [name, status] = oauthErrors[error.code];
  const description = error.expose ? error.message : errorCatalog[error.code].summary;
  return sendPage(reply, {
    status: status === 401 ? 400 : status,
    title: 'Sign-in error',
    body: html`<h1>Sign-in error</h1>
      <p role="alert">${advice(error)}</p>
      <p class="muted"><code>${name}</code>: ${description}</p>`,
  });
};
