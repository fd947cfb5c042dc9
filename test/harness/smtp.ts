/**
 * A real SMTP receiver on a loopback port (the `smtp-server` package), for tests of mail Gatehouse sends.
 *
 *   const smtp = await startSmtp();
 *   const gatehouse = await startGatehouse({ config: { smtpUrl: smtp.url } });
 *   const mail = await smtp.next('alice@example.com');   // waits for the next message to that address
 *   mail.text  // decoded body
 */
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  readonly from: string;
  readonly to: readonly string[];
  readonly subject: string;
  /** The text body, transfer-decoded. */
  readonly text: string;
  readonly raw: string;
}

export interface SmtpHarness {
  /** `smtp://127.0.0.1:{port}`: the value of `smtpUrl`. */
  readonly url: string;
  readonly received: readonly ReceivedMail[];
  /** The next message (to `to`, when given) not yet taken; waits up to `timeoutMs`. */
  next(to?: string, timeoutMs?: number): Promise<ReceivedMail>;
  close(): Promise<void>;
}

/** RFC 2045 §6.7 quoted-printable: soft line breaks and `=XX` escapes. */
const decodeQuotedPrintable = (body: string): string =>
  Buffer.from(
    body
      .replace(/=\r?\n/g, '')
      .replace(/=([0-9A-F]{2})/gi, (_m, hex: string) => String.fromCharCode(Number.parseInt(hex, 16))),
    'latin1',
  ).toString('utf8');

/** Reads a single-part message (what nodemailer sends for a text-only mail). */
const parse = (raw: string, from: string, to: string[]): ReceivedMail => {
  const split = raw.indexOf('\r\n\r\n');
  const head = raw.slice(0, split).replace(/\r\n[ \t]+/g, ' ');
  const body = raw.slice(split + 4);
  const header = (name: string) => new RegExp(`^${name}:\\s*(.*)$`, 'im').exec(head)?.[1]?.trim();
  const encoding = header('Content-Transfer-Encoding')?.toLowerCase();
  const text =
    encoding === 'quoted-printable'
      ? decodeQuotedPrintable(body)
      : encoding === 'base64'
        ? Buffer.from(body, 'base64').toString('utf8')
        : body;
  return { from, to, subject: header('Subject') ?? '', text: text.replace(/\r\n/g, '\n').trimEnd(), raw };
};

export const startSmtp = async (): Promise<SmtpHarness> => {
  const received: ReceivedMail[] = [];
  let taken = 0;
  const waiters: (() => void)[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const from = session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address;
        const to = session.envelope.rcptTo.map((r) => r.address);
        received.push(parse(Buffer.concat(chunks).toString('utf8'), from, to));
        for (const wake of waiters.splice(0)) wake();
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  const findNext = (to: string | undefined) => {
    for (let i = taken; i < received.length; i++) {
      const mail = received[i];
      if (mail !== undefined && (to === undefined || mail.to.includes(to))) {
        received.splice(i, 1);
        received.splice(taken, 0, mail);
        taken++;
        return mail;
      }
    }
    return undefined;
  };
  return {
    url: `smtp://127.0.0.1:${port}`,
    received,
    next: async (to, timeoutMs = 5000) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const mail = findNext(to);
        if (mail !== undefined) return mail;
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`no mail${to === undefined ? '' : ` to ${to}`} within ${timeoutMs} ms`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          waiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
};
