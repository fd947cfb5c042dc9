import type { Core } from '../../../src/core/index.js';
import type { ReceivedMail, SmtpHarness } from '../../harness/smtp.js';

export interface JsonResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  readonly body: Record<string, unknown>;
}

/** POSTs JSON and reads the answer as text (byte-for-byte comparisons) and as JSON. */
export const postJson = async (url: string, body: unknown, headers: Record<string, string> = {}) => {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  let parsed: Record<string, unknown> = {};
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {}
  return { status: response.status, headers: response.headers, text, body: parsed } satisfies JsonResponse;
};

/** The six-digit code of a mail. */
export const codeOf = (mail: ReceivedMail): string => {
  const code = /\b(\d{6})\b/.exec(mail.text)?.[1];
  if (code === undefined) throw new Error(`no code in mail: ${mail.subject}`);
  return code;
};

/** The token of the link of a mail. */
export const linkTokenOf = (mail: ReceivedMail): { url: string; token: string } => {
  const url = /(https?:\/\/\S+\?token=[A-Za-z0-9_-]+)/.exec(mail.text)?.[1];
  if (url === undefined) throw new Error(`no link in mail: ${mail.subject}`);
  return { url, token: new URL(url).searchParams.get('token') ?? '' };
};

/**
 * Whether any mail to `to` was received, once every mail the core queued was handed to SMTP (the receiver stores a
 * message before it acknowledges it, so nothing queued is still in flight).
 */
export const mailedTo = async (core: Core, smtp: SmtpHarness, to: string): Promise<boolean> => {
  await core.selfService.idle();
  return smtp.received.some((mail) => mail.to.includes(to));
};
