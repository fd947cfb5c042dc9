import { randomBytes } from 'node:crypto';
import type { FastifyReply } from 'fastify';

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

const styles = `
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:#f4f5f7;color:#1d1f23}
main{max-width:24rem;margin:4rem auto;padding:2rem;background:#fff;border-radius:.5rem;box-shadow:0 1px 3px #0002}
h1{font-size:1.4rem;margin:0 0 .25rem}
h2{font-size:1.05rem;margin:1.25rem 0 .25rem}
p{margin:.25rem 0 1rem}
label{display:block;font-weight:600;margin:1rem 0 .25rem}
input{width:100%;padding:.6rem;font:inherit;border:1px solid #8a8f98;border-radius:.3rem}
input:focus,button:focus{outline:3px solid #2b6cb0;outline-offset:1px}
button{margin-top:1.5rem;width:100%;padding:.7rem;font:inherit;font-weight:600;color:#fff;background:#2b5797;border:0;border-radius:.3rem;cursor:pointer}
.error{padding:.6rem .8rem;background:#fdecea;color:#8a1c13;border-left:4px solid #c0392b;border-radius:.2rem}
.muted{color:#555}
button.secondary{margin-top:.75rem;color:#2b5797;background:#fff;border:1px solid #2b5797}
.scopes{padding-left:1.2rem}
.scopes li{margin:.25rem 0}
.new{font-size:.8rem;font-weight:600;color:#2b5797}
`;

export interface Page {
  readonly status: number;
  readonly title: string;
  readonly body: SafeHtml;
  /** Extra CSP `form-action` sources: where a form on this page may submit or be redirected to. */
  readonly formActions?: readonly string[];
  /** The page's language (`<html lang>`, `Content-Language`): the locale of the messages it was written with. */
  readonly lang?: string;
}

/**
 * Sends a small server-rendered page under a strict Content Security Policy: no scripts at all, the one inline style
 * allowed by a per-response nonce, no framing, forms only to this origin (and the sources given).
 */
export const sendPage = (reply: FastifyReply, page: Page) => {
  const nonce = randomBytes(16).toString('base64');
  const formAction = ["'self'", ...(page.formActions ?? [])].join(' ');
  const document = html`<!doctype html>
<html lang="${page.lang ?? 'en'}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${page.title}</title>
<style nonce="${nonce}">${new SafeHtml(styles)}</style>
</head>
<body>
<main>
${page.body}
</main>
</body>
</html>
`;
  return reply
    .code(page.status)
    .header(
      'content-security-policy',
      `default-src 'none'; style-src 'nonce-${nonce}'; img-src 'self' data:; form-action ${formAction}; frame-ancestors 'none'; base-uri 'none'`,
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
