import { randomBytes } from 'node:crypto';
import type { FastifyReply } from 'fastify';
import type { Brand } from '../../core/tenants/branding.js';

/** Markup that is already safe: produced by `html`, never from raw input. */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

const entities: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => entities[c] ?? c);

type Interpolation = SafeHtml | string | number | undefined | null | false | readonly Interpolation[];

const render = (value: Interpolation): string => {
  if (value === undefined || value === null || value === false) return '';
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
};

/** A template tag that escapes every interpolated value unless it is `SafeHtml`. */
export const html = (strings: TemplateStringsArray, ...values: Interpolation[]): SafeHtml =>
  new SafeHtml(strings.reduce((out, text, i) => out + text + (i < values.length ? render(values[i]) : ''), ''));

/** The colours of a page without a brand (the error page, the dev outbox). */
const plainColours = { primary: '#2b5797', onPrimary: '#ffffff', accent: '#2b5797' };

const styles = `
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:#f1f3f6;color:#1d1f23}
.shell{max-width:27rem;margin:3rem auto;padding:0 1rem}
header.brand{display:flex;align-items:center;justify-content:center;gap:.6rem;margin:0 0 1.25rem;font-weight:700;font-size:1.1rem}
header.brand img{max-height:40px;max-width:160px}
main{padding:2rem;background:#fff;border-radius:.75rem;box-shadow:0 1px 3px #0002,0 8px 24px #0000000d}
footer{margin:1rem 0;text-align:center;font-size:.9rem;color:#50555e}
h1{font-size:1.45rem;margin:0 0 .25rem;line-height:1.25}
h2{font-size:1.05rem;margin:1.25rem 0 .25rem}
p{margin:.25rem 0 1rem}
a{color:var(--accent)}
label{display:block;font-weight:600;margin:1rem 0 .25rem}
input{width:100%;min-height:44px;padding:.6rem;font:inherit;border:1px solid #767b85;border-radius:.4rem}
input:focus-visible,button:focus-visible,a:focus-visible{outline:3px solid var(--accent);outline-offset:2px}
button,.button{display:flex;align-items:center;justify-content:center;gap:.5rem;margin-top:1.25rem;width:100%;min-height:48px;padding:.7rem 1rem;font:inherit;font-weight:600;color:var(--on-primary);background:var(--primary);border:1px solid var(--primary);border-radius:.4rem;cursor:pointer;text-decoration:none;text-align:center}
button.secondary,.button.secondary{color:var(--accent);background:#fff;border-color:var(--accent)}
button.link,.link{display:inline-flex;align-items:center;width:auto;min-height:44px;margin:0;padding:0 .25rem;color:var(--accent);background:none;border:0;font-weight:600;text-decoration:underline}
.providers{list-style:none;margin:1.25rem 0 0;padding:0;display:grid;gap:.75rem}
.provider{display:flex;align-items:center;gap:.75rem;width:100%;min-height:48px;padding:.55rem 1rem;color:#1d1f23;background:#fff;border:1px solid #8a8f98;border-radius:.4rem;font-weight:600;text-decoration:none}
.provider:hover{background:#f6f7f9}
.provider svg,.provider img{flex:none;width:22px;height:22px}
.provider span{flex:1;text-align:center;margin-right:22px}
.divider{display:flex;align-items:center;gap:.75rem;margin:1.5rem 0 .25rem;color:#50555e;font-size:.9rem}
.divider::before,.divider::after{content:"";flex:1;border-top:1px solid #d5d8dd}
.error{padding:.6rem .8rem;background:#fdecea;color:#8a1c13;border-left:4px solid #c0392b;border-radius:.2rem}
.notice{padding:.6rem .8rem;background:#eef4fb;color:#1d3b5e;border-left:4px solid #2b6cb0;border-radius:.2rem}
.muted{color:#50555e}
.links{display:flex;flex-wrap:wrap;justify-content:center;gap:0 1rem;margin-top:1rem}
.scopes{padding-left:1.2rem}
.scopes li{margin:.25rem 0}
.new{font-size:.8rem;font-weight:600;color:var(--accent)}
.codes{display:grid;grid-template-columns:1fr 1fr;gap:.25rem 1rem;padding:.75rem 1rem;list-style:none;background:#f6f7f9;border-radius:.4rem;font:1rem/1.8 ui-monospace,Menlo,Consolas,monospace}
.qr{display:block;margin:0 auto}
.key{word-break:break-all}
.spinner{width:1rem;height:1rem;border:2px solid #c4c8cf;border-top-color:var(--accent);border-radius:50%;animation:spin 1s linear infinite}
@keyframes spin{to{transform:rotate(360deg)}}
@media (prefers-reduced-motion:reduce){.spinner{animation:none}}
@media (max-width:480px){.shell{margin:0;padding:0}header.brand{margin:1rem 0}main{border-radius:0;box-shadow:none;padding:1.5rem 1.25rem}}
`;

export interface Page {
  readonly status: number;
  readonly title: string;
  readonly body: SafeHtml;
  /** Extra CSP `form-action` sources: where a form on this page may submit or be redirected to. */
  readonly formActions?: readonly string[];
  /** The page's language (`<html lang>`, `Content-Language`): the locale of the messages it was written with. */
  readonly lang?: string;
  /** The tenant's (or client's) name, logo, colours and support link; a plain page without. */
  readonly brand?: Brand;
  /** The words of the page's chrome, in the page's language (the support link). */
  readonly chrome?: { readonly support: string };
  /**
   * An inline script: allowed by a per-response nonce (`script-src 'nonce-…'`) and allowed to call this origin
   * (`connect-src 'self'`). A page must work without it.
   */
  readonly script?: string;
}

/** The CSP `img-src` source of an https logo (its origin); a `data:` logo needs none. */
const logoSource = (logo: string | undefined): string | undefined =>
  logo?.startsWith('https://') === true ? new URL(logo).origin : undefined;

const chromeOf = (page: Page): { header: SafeHtml; footer: SafeHtml } => {
  const { brand } = page;
  if (brand === undefined) return { header: html``, footer: html`` };
  const header = html`<header class="brand">${
    brand.logoUrl === undefined ? '' : html`<img src="${brand.logoUrl}" alt="" height="40">`
  }<span>${brand.name}</span></header>`;
  const footer =
    brand.supportUrl === undefined
      ? html``
      : html`<footer><a class="link" href="${brand.supportUrl}">${page.chrome?.support ?? 'Help'}</a></footer>`;
  return { header, footer };
};

/**
 * Sends a small server-rendered page under a strict Content Security Policy: the one inline style and the optional
 * inline script allowed by a per-response nonce, images only from this origin, `data:` and the brand's logo origin,
 * no framing, forms only to this origin (and the sources given).
 */
export const sendPage = (reply: FastifyReply, page: Page) => {
  const nonce = randomBytes(16).toString('base64');
  const formAction = ["'self'", ...(page.formActions ?? [])].join(' ');
  const colours = page.brand ?? plainColours;
  // Brand colours are validated `#rrggbb` values (core/tenants/branding.ts), safe inside the style element.
  const variables = `:root{--primary:${colours.primary};--on-primary:${colours.onPrimary};--accent:${colours.accent}}`;
  const { header, footer } = chromeOf(page);
  const document = html`<!doctype html>
<html lang="${page.lang ?? 'en'}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${page.title}</title>
<style nonce="${nonce}">${new SafeHtml(variables + styles)}</style>
</head>
<body>
<div class="shell">
${header}
<main>
${page.body}
</main>
${footer}
</div>
${page.script === undefined ? '' : html`<script nonce="${nonce}">${new SafeHtml(page.script)}</script>`}
</body>
</html>
`;
  const imgSrc = ["'self'", 'data:', logoSource(page.brand?.logoUrl)].filter((s) => s !== undefined).join(' ');
  const scriptSrc = page.script === undefined ? '' : ` script-src 'nonce-${nonce}'; connect-src 'self';`;
  return reply
    .code(page.status)
    .header(
      'content-security-policy',
      `default-src 'none'; style-src 'nonce-${nonce}';${scriptSrc} img-src ${imgSrc}; form-action ${formAction}; frame-ancestors 'none'; base-uri 'none'`,
    )
    .header('x-frame-options', 'DENY')
    .header('content-language', page.lang ?? 'en')
    .header('cache-control', 'no-store')
    .type('text/html; charset=utf-8')
    .send(document.value);
};

/** The CSP source that lets a form's redirect reach `uri`: its origin, or its scheme for app links (`com.app:/cb`). */
export const cspSourceOf = (uri: string): string => {
  const url = new URL(uri);
  return url.protocol === 'http:' || url.protocol === 'https:' ? url.origin : url.protocol;
};
