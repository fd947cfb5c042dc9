import { type Static, Type } from '@sinclair/typebox';
import {
  contrastRatio,
  hexColourPattern,
  minimumTextContrast,
  normaliseHex,
  readableOn,
  readableTextOn,
} from '../../lib/colour.js';

/**
 * A logo: an https image URL, or a `data:` URI of an image (PNG, JPEG, GIF, WebP or SVG), base64. The hosted pages
 * load an https logo from its origin only on the pages that show it (CSP `img-src`).
 */
const Logo = Type.String({
  pattern: '^(?:https://[^\\s"\'<>]+|data:image/(?:png|jpeg|gif|webp|svg\\+xml);base64,[A-Za-z0-9+/]+={0,2})$',
  maxLength: 100_000,
  description:
    'The logo shown above the hosted pages: an https URL of an image, or a `data:image/…;base64,` URI (PNG, JPEG, GIF, WebP or SVG, up to 100 kB).',
});

const brandingFields = {
  displayName: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 100,
      description: 'The name the hosted pages and mails show (default: the tenant or client name).',
    }),
  ),
  logoUrl: Type.Optional(Logo),
  primaryColor: Type.Optional(
    Type.String({
      pattern: hexColourPattern,
      description:
        'The colour of buttons and links, `#rgb` or `#rrggbb`. Button text is black or white, whichever reads better; links on the white page are darkened until they reach 4.5:1.',
    }),
  ),
  supportUrl: Type.Optional(
    Type.String({
      pattern: '^(?:https://[^\\s"\'<>]+|mailto:[^\\s"\'<>]+)$',
      maxLength: 2000,
      description: 'Where a person gets help: an https URL or a `mailto:` address, linked at the foot of every page.',
    }),
  ),
};

/** A client's branding: overrides the tenant's, field by field, on that client's pages. */
export const ClientBrandingSchema = Type.Object(brandingFields, { additionalProperties: false });
export type ClientBranding = Static<typeof ClientBrandingSchema>;

/** A tenant's branding: what its hosted pages and mails look like, their default language and the providers' order. */
export const TenantBrandingSchema = Type.Object(
  {
    ...brandingFields,
    defaultLocale: Type.Optional(
      Type.String({
        pattern: '^[a-z]{2,3}(?:-[A-Z]{2})?$',
        description:
          'The language of pages and mails when neither the application (`ui_locales`) nor the browser (`Accept-Language`) asks for one Gatehouse has (default `en`).',
      }),
    ),
    providerOrder: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 100 }), {
        uniqueItems: true,
        maxItems: 50,
        description:
          'Connection ids in the order the sign-in page shows their buttons; connections not listed follow in their own order.',
      }),
    ),
  },
  { additionalProperties: false },
);
export type TenantBranding = Static<typeof TenantBrandingSchema>;

/** What a hosted page is dressed in: the tenant's branding with the client's over it, colours worked out. */
export interface Brand {
  readonly name: string;
  readonly logoUrl?: string;
  readonly supportUrl?: string;
  /** Button background. */
  readonly primary: string;
  /** Text on a button (≥ 4.5:1 on `primary`). */
  readonly onPrimary: string;
  /** Links and outlined buttons on the white page (≥ 4.5:1 on white). */
  readonly accent: string;
}

const defaultPrimary = '#2b5797';

/** The brand of a page: the client's branding over the tenant's, over the tenant's name and the default colour. */
export const brandOf = (
  tenant: { readonly name: string; readonly branding?: Readonly<ClientBranding> | undefined },
  client?: { readonly name: string; readonly branding?: Readonly<ClientBranding> | undefined },
): Brand => {
  const merged: ClientBranding = { ...tenant.branding, ...client?.branding };
  const primary = normaliseHex(merged.primaryColor ?? defaultPrimary);
  return {
    name: merged.displayName ?? tenant.name,
    ...(merged.logoUrl === undefined ? {} : { logoUrl: merged.logoUrl }),
    ...(merged.supportUrl === undefined ? {} : { supportUrl: merged.supportUrl }),
    primary,
    onPrimary: readableTextOn(primary),
    accent: readableOn(primary, '#ffffff'),
  };
};

/** Whether a brand's colours keep every text at 4.5:1 (true by construction; checked by the tests). */
export const brandIsReadable = (brand: Brand): boolean =>
  contrastRatio(brand.primary, brand.onPrimary) >= minimumTextContrast &&
  contrastRatio(brand.accent, '#ffffff') >= minimumTextContrast;
