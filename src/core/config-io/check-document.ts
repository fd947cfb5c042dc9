import { needsInsecureUpstreams } from '../../connectors/registry.js';
import type { CoreDeps } from '../deps.js';
import { GatehouseError } from '../errors.js';
import { connectorKinds } from '../strategies/upstream/connector-errors.js';
import { isEmailShaped, normaliseEmail } from '../users/email.js';
import type { ConfigDocument } from './document.js';

const invalid = (path: string, message: string) => new GatehouseError('invalid_request', `${path}: ${message}`);

/** Throws on the first of `values` seen twice, naming it by `path(index)`. */
const requireUnique = (values: readonly string[], path: (index: number) => string, what: string): void => {
  const seen = new Set<string>();
  values.forEach((value, index) => {
    if (seen.has(value)) throw invalid(path(index), `${what} ${JSON.stringify(value)} appears twice`);
    seen.add(value);
  });
};

/**
 * The checks a schema cannot express, made before anything is written: duplicates, mutually exclusive secret forms,
 * email shapes, sealed secrets this deployment can open, IdP settings, and emulator overrides where they are allowed.
 * @throws GatehouseError `invalid_request` naming the offending entry (`document.tenants.0.clients.1: …`).
 */
export const checkDocument = (deps: CoreDeps, document: ConfigDocument): void => {
  requireUnique(
    document.tenants.map((t) => t.id),
    (i) => `document.tenants.${i}.id`,
    'tenant',
  );
  const clientIds = document.tenants.flatMap((t, ti) => (t.clients ?? []).map((c, ci) => ({ id: c.clientId, ti, ci })));
  requireUnique(
    clientIds.map((c) => c.id),
    (i) => `document.tenants.${clientIds[i]?.ti}.clients.${clientIds[i]?.ci}.clientId`,
    'client',
  );

  document.tenants.forEach((tenant, ti) => {
    const at = `document.tenants.${ti}`;
    (tenant.clients ?? []).forEach((client, ci) => {
      const path = `${at}.clients.${ci}`;
      if (client.clientSecret !== undefined && client.clientSecretDigest !== undefined)
        throw invalid(path, 'give clientSecret or clientSecretDigest, not both');
      if (client.public === true && (client.clientSecret !== undefined || client.clientSecretDigest !== undefined))
        throw invalid(path, 'a public client has no secret');
    });

    const idps = tenant.idps ?? [];
    requireUnique(
      idps.map((i) => i.id),
      (i) => `${at}.idps.${i}.id`,
      'identity provider',
    );
    idps.forEach((idp, ii) => {
      const path = `${at}.idps.${ii}`;
      if (idp.clientSecret !== undefined && idp.clientSecretEncrypted !== undefined)
        throw invalid(path, 'give clientSecret or clientSecretEncrypted, not both');
      if (idp.clientSecretEncrypted !== undefined) {
        try {
          deps.secretBox.open(idp.clientSecretEncrypted);
        } catch {
          throw invalid(`${path}.clientSecretEncrypted`, "not sealed with this deployment's master key");
        }
      }
      if (!deps.settings.allowInsecureUpstreams && needsInsecureUpstreams(idp))
        throw invalid(
          path,
          'emulator and endpoints are accepted only in development/test mode or with allowInsecureUpstreams',
        );
      const allowed = connectorKinds.definition(idp.kind).endpointNames;
      for (const name of Object.keys(idp.endpoints ?? {}))
        if (!allowed.includes(name))
          throw invalid(`${path}.endpoints.${name}`, `unknown endpoint; ${idp.kind} has ${allowed.join(', ')}`);
      try {
        connectorKinds.validateSettings(idp.kind, idp.settings ?? {});
      } catch (error) {
        throw invalid(path, (error as Error).message);
      }
    });

    const users = tenant.users ?? [];
    users.forEach((user, ui) => {
      const path = `${at}.users.${ui}`;
      if (!isEmailShaped(normaliseEmail(user.email))) throw invalid(`${path}.email`, 'not an email address');
      if (user.password !== undefined && user.passwordHash !== undefined)
        throw invalid(path, 'give password or passwordHash, not both');
    });
    requireUnique(
      users.map((u) => normaliseEmail(u.email)),
      (i) => `${at}.users.${i}.email`,
      'email',
    );
  });
};
