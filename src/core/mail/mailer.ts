import type { Transporter } from 'nodemailer';
import { newOpaqueId } from '../../lib/ids.js';
import type { CoreDeps } from '../deps.js';
import { GatehouseError } from '../errors.js';

/** One message Gatehouse sends (sign-in codes and links). */
export interface MailMessage {
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  readonly html?: string;
}

/** A message kept by the development outbox instead of being delivered. */
export interface OutboxEntry extends MailMessage {
  readonly id: string;
  readonly sentAt: string;
}

/**
 * Delivers mail over SMTP (`smtpUrl`, with nodemailer). Without SMTP, development and test keep messages in a dev
 * outbox (the shared key-value store, so every instance sees it; newest first, the last 50, for a day) and, in
 * development only, print them to the log so the developer can read the code. Production without SMTP has no mail:
 * the email factor is then not offered.
 */
export interface Mailer {
  /** Whether mail can be delivered at all. */
  readonly available: boolean;
  /** Whether messages go to the dev outbox rather than to SMTP. */
  readonly usesOutbox: boolean;
  /** @throws GatehouseError `server_error` when the SMTP server refuses or cannot be reached. */
  send(message: MailMessage): Promise<void>;
  /** The dev outbox, newest first (always empty with SMTP). */
  outbox(): Promise<OutboxEntry[]>;
  close(): void;
}

const outboxKey = 'dev:outbox';
const outboxSize = 50;
const outboxTtlSeconds = 24 * 60 * 60;

export const createMailer = (deps: Pick<CoreDeps, 'settings' | 'log' | 'kv' | 'clock'>): Mailer => {
  const { settings } = deps;
  const { smtpUrl } = settings;
  if (smtpUrl !== undefined) {
    // nodemailer is loaded with the first message: a process that sends none (a CLI command) never loads it.
    let transport: Promise<Transporter> | undefined;
    const transportOf = () => {
      transport ??= import('nodemailer').then(({ createTransport }) => createTransport(smtpUrl));
      return transport;
    };
    return {
      available: true,
      usesOutbox: false,
      send: async (message) => {
        try {
          await (await transportOf()).sendMail({ from: settings.mailFrom, ...message });
        } catch (error) {
          throw new GatehouseError('server_error', 'the email could not be sent', { cause: error });
        }
      },
      outbox: async () => [],
      close: () => void transport?.then((t) => t.close()),
    };
  }
  const readOutbox = async (): Promise<OutboxEntry[]> => {
    const stored = await deps.kv.get(outboxKey);
    return stored === undefined ? [] : (JSON.parse(stored) as OutboxEntry[]);
  };
  const usesOutbox = settings.mode !== 'production';
  return {
    available: usesOutbox,
    usesOutbox,
    send: async (message) => {
      if (!usesOutbox) throw new GatehouseError('server_error', 'no SMTP server is configured');
      const entry: OutboxEntry = { id: newOpaqueId(), sentAt: deps.clock.now().toISOString(), ...message };
      const entries = [entry, ...(await readOutbox())].slice(0, outboxSize);
      await deps.kv.set(outboxKey, JSON.stringify(entries), outboxTtlSeconds);
      // The code must reach the developer; this line exists only in development mode, never in test or production.
      if (settings.mode === 'development') {
        deps.log.warn(`dev outbox (no SMTP_URL): mail to ${message.to}: ${message.subject}\n${message.text}`);
      }
    },
    outbox: readOutbox,
    close: () => {},
  };
};
