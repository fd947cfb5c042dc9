import type { SessionSummary } from '../../core/sessions/sessions.js';
import type { Identity, User } from '../../core/users/user.js';
import type { Messages } from '../../lib/i18n.js';
import { describeUserAgent } from '../../lib/user-agent.js';
import { html, type SafeHtml } from '../shared/html.js';

/** Everything the account page shows. */
export interface AccountView {
  readonly base: string;
  readonly csrf: string;
  readonly user: User;
  readonly identities: readonly Identity[];
  readonly factors: { readonly totp: boolean; readonly recoveryCodesLeft: number };
  readonly sessions: readonly SessionSummary[];
  readonly currentSid: string;
  readonly pendingEmail: string | undefined;
  /** What the last change did (a `notice` key), or what went wrong with it (`error`, in the section `section`). */
  readonly notice?: { readonly section: string; readonly message: string; readonly error: boolean };
}

const hidden = (csrf: string) => html`<input type="hidden" name="csrf" value="${csrf}">`;

const noticeOf = (view: AccountView, section: string): SafeHtml | '' =>
  view.notice?.section !== section
    ? ''
    : view.notice.error
      ? html`<p class="error" role="alert" id="${section}-error">${view.notice.message}</p>`
      : html`<p role="status"><strong>${view.notice.message}</strong></p>`;

const describedBy = (view: AccountView, section: string): SafeHtml | '' =>
  view.notice?.section === section && view.notice.error
    ? html` aria-invalid="true" aria-describedby="${section}-error"`
    : '';

const profileSection = (view: AccountView, { t }: Messages) => html`<section aria-labelledby="profile-h">
  <h2 id="profile-h">${t('account.profile.heading')}</h2>
  ${noticeOf(view, 'profile')}
  <form method="post" action="${view.base}/forms/profile">
    ${hidden(view.csrf)}
    <label for="first-name">${t('account.profile.first_name')}</label>
    <input id="first-name" name="first_name" autocomplete="given-name" maxlength="200" value="${view.user.firstName ?? ''}">
    <label for="last-name">${t('account.profile.last_name')}</label>
    <input id="last-name" name="last_name" autocomplete="family-name" maxlength="200" value="${view.user.lastName ?? ''}">
    <label for="display-name">${t('account.profile.display_name')}</label>
    <input id="display-name" name="display_name" autocomplete="nickname" maxlength="200" value="${view.user.displayName ?? ''}">
    <button type="submit">${t('account.profile.save')}</button>
  </form>
</section>`;

const emailSection = (view: AccountView, { t }: Messages) => html`<section aria-labelledby="email-h">
  <h2 id="email-h">${t('account.email.heading')}</h2>
  ${noticeOf(view, 'email')}
  <p>${view.user.email === null ? t('account.email.none') : t('account.email.current', { email: view.user.email })}</p>
  ${
    view.pendingEmail === undefined
      ? ''
      : html`<form method="post" action="${view.base}/forms/email/confirm">
    ${hidden(view.csrf)}
    <label for="email-code">${t('account.email.code_label', { email: view.pendingEmail })}</label>
    <input id="email-code" name="code" inputmode="numeric" autocomplete="one-time-code" required${describedBy(view, 'email')}>
    <button type="submit">${t('account.email.confirm')}</button>
  </form>`
  }
  <form method="post" action="${view.base}/forms/email">
    ${hidden(view.csrf)}
    <label for="new-email">${t('account.email.new_label')}</label>
    <input id="new-email" name="email" type="email" autocomplete="email" required maxlength="320">
    <button type="submit">${t('account.email.send_code')}</button>
  </form>
</section>`;

const passwordSection = (view: AccountView, { t }: Messages) => html`<section aria-labelledby="password-h">
  <h2 id="password-h">${t('account.password.heading')}</h2>
  ${noticeOf(view, 'password')}
  <p class="muted">${t('account.password.hint')}</p>
  <form method="post" action="${view.base}/forms/password">
    ${hidden(view.csrf)}
    <input type="text" name="username" autocomplete="username" value="${view.user.email ?? ''}" hidden>
    ${
      view.user.hasPassword
        ? html`<label for="current-password">${t('account.password.current')}</label>
    <input id="current-password" name="current_password" type="password" autocomplete="current-password"${describedBy(view, 'password')}>`
        : ''
    }
    <label for="new-password">${t('account.password.new')}</label>
    <input id="new-password" name="new_password" type="password" autocomplete="new-password" minlength="8" maxlength="1024" required>
    <button type="submit">${view.user.hasPassword ? t('account.password.change') : t('account.password.set')}</button>
  </form>
  <form method="post" action="${view.base}/forms/reauthenticate">
    ${hidden(view.csrf)}
    <button type="submit" class="secondary">${t('account.sign_in_again')}</button>
  </form>
</section>`;

const mfaSection = (view: AccountView, { t }: Messages) => html`<section aria-labelledby="mfa-h">
  <h2 id="mfa-h">${t('account.mfa.heading')}</h2>
  ${noticeOf(view, 'mfa')}
  <p>${view.factors.totp ? t('account.mfa.totp_on') : t('account.mfa.totp_off')}</p>
  <p>${t('account.mfa.recovery_left', { count: view.factors.recoveryCodesLeft })}</p>
  <form method="get" action="${view.base.replace(/\/account$/, '/mfa')}">
    <button type="submit" class="secondary">${view.factors.totp ? t('account.mfa.manage') : t('account.mfa.add')}</button>
  </form>
  ${
    view.factors.totp || view.factors.recoveryCodesLeft > 0
      ? html`<form method="post" action="${view.base}/forms/mfa/remove">
    ${hidden(view.csrf)}
    <label for="mfa-code">${t('account.mfa.code_label')}</label>
    <input id="mfa-code" name="current_code" autocomplete="one-time-code"${describedBy(view, 'mfa')}>
    <button type="submit" class="secondary">${t('account.mfa.remove')}</button>
  </form>`
      : ''
  }
</section>`;

const providersSection = (view: AccountView, { t }: Messages) => html`<section aria-labelledby="providers-h">
  <h2 id="providers-h">${t('account.providers.heading')}</h2>
  ${noticeOf(view, 'providers')}
  ${
    view.identities.length === 0
      ? html`<p>${t('account.providers.none')}</p>`
      : html`<ul class="scopes">${view.identities.map(
          (identity) => html`<li>
      <strong>${identity.idp}</strong>${identity.email === null ? '' : html` · ${identity.email}`}
      <form method="post" action="${view.base}/forms/identities/${encodeURIComponent(identity.idp)}/unlink">
        ${hidden(view.csrf)}
        <button type="submit" class="secondary" aria-label="${t('account.providers.unlink_named', { idp: identity.idp })}">${t('account.providers.unlink')}</button>
      </form>
    </li>`,
        )}</ul>`
  }
</section>`;

const sessionLabel = (session: SessionSummary, { t }: Messages): string => {
  const device = describeUserAgent(session.userAgent);
  const browser = device.browser ?? t('sessions.unknown_browser');
  return device.os === undefined ? browser : t('sessions.browser_on_os', { browser, os: device.os });
};

const endLabel = (session: SessionSummary, view: AccountView, { t }: Messages): string =>
  session.sid === view.currentSid ? t('sessions.sign_out') : t('sessions.end');

const when = (date: Date, locale: string): string =>
  new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' }).format(date);

const sessionsSection = (view: AccountView, messages: Messages) => {
  const { t, locale } = messages;
  return html`<section aria-labelledby="sessions-h">
  <h2 id="sessions-h">${t('sessions.heading')}</h2>
  ${noticeOf(view, 'sessions')}
  <ul class="scopes">${view.sessions.map(
    (session) => html`<li data-sid="${session.sid}">
    <strong>${sessionLabel(session, messages)}</strong>${session.sid === view.currentSid ? html` <em>${t('sessions.this_device')}</em>` : ''}
    <br><span class="muted">${t('sessions.details', {
      ip: session.ip ?? '–',
      created: when(session.createdAt, locale),
      seen: when(session.lastSeenAt, locale),
    })}</span>
    <form method="post" action="${view.base}/forms/sessions/${encodeURIComponent(session.sid)}/end">
      ${hidden(view.csrf)}
      <button type="submit" class="secondary" aria-label="${t('sessions.end_named', { action: endLabel(session, view, messages), device: sessionLabel(session, messages) })}">${endLabel(session, view, messages)}</button>
    </form>
  </li>`,
  )}</ul>
</section>`;
};

/** The account page's body: one section per thing the user can change. */
export const accountBody = (
  view: AccountView,
  messages: Messages,
): SafeHtml => html`<h1>${messages.t('account.heading')}</h1>
${profileSection(view, messages)}
${emailSection(view, messages)}
${passwordSection(view, messages)}
${mfaSection(view, messages)}
${providersSection(view, messages)}
${sessionsSection(view, messages)}`;
