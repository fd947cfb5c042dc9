import { createHash } from 'node:crypto';
import type { FastifyReply } from 'fastify';
import { displayNameOf, type TestUser } from './users.js';

const escapeHtml = (value: string): string =>
  value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

const style =
  'body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;color:#1a1a1a}' +
  'h1{font-size:1.4rem}code{background:#f2f2f2;padding:0 .2rem}li{margin:.4rem 0}' +
  '.note{color:#8a4b00;background:#fff6e5;padding:.5rem;border-radius:4px}fieldset{margin-top:1.5rem}' +
  'label{display:block;margin:.3rem 0}';
const autoSubmit = 'document.forms[0].submit();';
const hashOf = (source: string) => `'sha256-${createHash('sha256').update(source).digest('base64')}'`;

const send = (reply: FastifyReply, title: string, body: string, script = false): FastifyReply =>
  reply
    .header('content-type', 'text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .header(
      'content-security-policy',
      `default-src 'none'; style-src ${hashOf(style)}; script-src ${script ? hashOf(autoSubmit) : "'none'"}; form-action http: https:; frame-ancestors 'none'`,
    )
    .send(
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${escapeHtml(title)}</title><style>${style}</style></head><body><main>${body}</main>${script ? `<script>${autoSubmit}</script>` : ''}</body></html>`,
    );

const banner = '<p class="note">This is the Gatehouse IdP emulator: for development and tests only.</p>';

/** The sign-in page of an authorization endpoint: pick a test user, make one up, or decline. */
export const chooserPage = (
  reply: FastifyReply,
  input: { provider: string; clientId: string; url: URL; users: readonly TestUser[] },
): FastifyReply => {
  const link = (extra: Record<string, string>) => {
    const url = new URL(input.url);
    for (const [name, value] of Object.entries(extra)) url.searchParams.set(name, value);
    return escapeHtml(`${url.pathname}${url.search}`);
  };
  const items = input.users
    .map((user) => {
      const email =
        user.email === undefined ? 'no email' : `${user.email} (${user.emailVerified ? 'verified' : 'unverified'})`;
      return `<li><a href="${link({ test_user: user.sub })}">${escapeHtml(displayNameOf(user) ?? user.sub)}</a> · ${escapeHtml(email)} · <code>${escapeHtml(user.sub)}</code></li>`;
    })
    .join('');
  const hidden = [...input.url.searchParams]
    .filter(([name]) => !name.startsWith('test_user'))
    .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
    .join('');
  return send(
    reply,
    `Sign in with ${input.provider}`,
    `<h1>Sign in with ${escapeHtml(input.provider)}</h1>${banner}<p>The app <code>${escapeHtml(input.clientId)}</code> asks who you are. Choose a test user:</p><ul>${items}</ul>` +
      `<form method="get" action="${escapeHtml(input.url.pathname)}"><fieldset><legend>Or make one up</legend>${hidden}` +
      '<label>Subject (user id) <input name="test_user_sub" required pattern="[A-Za-z0-9._-]{1,64}"></label>' +
      '<label>Email (optional) <input name="test_user_email" type="email"></label>' +
      '<label><input name="test_user_email_verified" type="checkbox" value="true"> Email verified</label>' +
      '<label>Name (optional) <input name="test_user_name"></label>' +
      '<button type="submit">Sign in</button></fieldset></form>' +
      `<p><a href="${link({ deny: '1' })}">Cancel (the app receives access_denied)</a></p>`,
  );
};

/** OAuth 2.0 Form Post Response Mode: an auto-submitting form (Apple's `response_mode=form_post`). */
export const formPostPage = (
  reply: FastifyReply,
  action: string,
  params: Readonly<Record<string, string>>,
): FastifyReply =>
  send(
    reply,
    'Submit this form to continue',
    `<form method="post" action="${escapeHtml(action)}">${Object.entries(params)
      .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
      .join('')}<p>Returning to the app…</p><button type="submit">Continue</button></form>`,
    true,
  );

/** An error the emulator cannot redirect (bad client or redirect URI), shown to the person. */
export const errorPage = (reply: FastifyReply, status: number, message: string): FastifyReply =>
  send(reply.status(status), 'Emulator error', `<h1>Cannot continue</h1>${banner}<p>${escapeHtml(message)}</p>`);

/** The emulator's home page: what it speaks and how to use it. */
export const indexPage = (reply: FastifyReply, baseUrl: string, providers: readonly string[]): FastifyReply =>
  send(
    reply,
    'Gatehouse IdP emulator',
    `<h1>Gatehouse IdP emulator</h1>${banner}<p>Base URL: <code>${escapeHtml(baseUrl)}</code>. Point a connection at it with <code>"emulator": "${escapeHtml(baseUrl)}"</code>.</p>` +
      `<ul>${providers.map((p) => `<li><code>${escapeHtml(p)}</code>: <code>${escapeHtml(`${baseUrl}/${p}/…`)}</code>, mint with <code>POST ${escapeHtml(`${baseUrl}/${p}/_mint`)}</code></li>`).join('')}</ul>` +
      `<p>Failure switches: <code>POST ${escapeHtml(baseUrl)}/_control</code> <code>{"provider"?, "mode": "normal|down|slow|bad_signature", "rotateKeys"?: true}</code>.</p>`,
  );
