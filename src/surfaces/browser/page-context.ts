import type { FastifyRequest } from 'fastify';
import type { Client } from '../../core/clients/client.js';
import { type Brand, brandOf } from '../../core/tenants/branding.js';
import type { Tenant } from '../../core/tenants/tenant.js';
import { type Messages, messagesFor } from '../../lib/i18n.js';
import type { Page, SafeHtml } from '../shared/html.js';

/** What every hosted page of a tenant is written with: its language and its brand. */
export interface PageContext {
  readonly messages: Messages;
  readonly brand: Brand;
}

/**
 * The language and brand of a page: `ui_locales` of the pending authorization request, then `Accept-Language`, then
 * the tenant's default locale, then English; the client's branding over the tenant's.
 */
export const pageContext = (
  request: FastifyRequest,
  tenant: Tenant,
  options: { readonly client?: Client | undefined; readonly uiLocales?: string | undefined } = {},
): PageContext => {
  const branding = tenant.policies.branding;
  return {
    messages: messagesFor({
      acceptLanguage: request.headers['accept-language'],
      uiLocales: options.uiLocales,
      tenantDefault: branding?.defaultLocale,
    }),
    brand: brandOf(
      { name: tenant.name, branding },
      options.client === undefined
        ? undefined
        : { name: options.client.name, branding: options.client.settings.branding },
    ),
  };
};

/** A page in this context: its title followed by the brand's name, its language, its brand and chrome. */
export const pageIn = (
  context: PageContext,
  page: {
    readonly status: number;
    readonly title: string;
    readonly body: SafeHtml;
    readonly formActions?: readonly string[];
    readonly script?: string;
  },
): Page => ({
  ...page,
  title: `${page.title} – ${context.brand.name}`,
  lang: context.messages.locale,
  brand: context.brand,
  chrome: { support: context.messages.t('page.support') },
});
