import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';

/**
 * A real SMTP server on loopback (the smtp-server package) standing in for a mail relay: records
 * every accepted message (raw and parsed with mailparser), the login used and whether the
 * session was encrypted. It can require a login, refuse every login, speak STARTTLS or implicit
 * TLS with a given certificate, or be started and stopped to leave a port where nothing listens.
 */
export interface RecordedMail {
  from: string;
  to: string[];
  raw: string;
  parsed: ParsedMail;
  user: string | null;
  secure: boolean;
}

export interface MailServer {
  port: number;
  messages: RecordedMail[];
  /** Logins tried (user names), accepted or not. */
  logins: string[];
  /** Messages answered with a transient failure (see `transientFailures`). */
  deferred: number;
  close(): Promise<void>;
}

export interface MailServerOptions {
  /** `{ user, pass }`: a login is required and only this one is accepted; `refuse`: every login fails (535). Default: no AUTH. */
  auth?: { user: string; pass: string } | 'refuse';
  /** none (default): plain text, no STARTTLS offered; starttls: offers STARTTLS with `cert`; implicit: TLS from the start. */
  tls?: 'none' | 'starttls' | 'implicit';
  cert?: { key: string; cert: string };
  /** Answer the first N messages with "451 try again later" (a transient SMTP failure). */
  transientFailures?: number;
}

export async function startMailServer(options: MailServerOptions = {}): Promise<MailServer> {
  const messages: RecordedMail[] = [];
  const logins: string[] = [];
  const state = { deferred: 0 };
  const tls = options.tls ?? 'none';
  const disabled = [...(options.auth ? [] : ['AUTH']), ...(tls === 'none' ? ['STARTTLS'] : [])];
  const config: SMTPServerOptions = {
    secure: tls === 'implicit',
    ...(tls !== 'none' && options.cert ? { key: options.cert.key, cert: options.cert.cert } : {}),
    disabledCommands: disabled,
    allowInsecureAuth: true,
    authOptional: !options.auth,
    logger: false,
    onAuth(auth, _session, callback) {
      logins.push(auth.username ?? '');
      const expected = options.auth;
      if (expected && expected !== 'refuse' && auth.username === expected.user && auth.password === expected.pass) return callback(null, { user: auth.username });
      return callback(new Error('Invalid username or password'));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        if (state.deferred < (options.transientFailures ?? 0)) {
          state.deferred++;
          return callback(Object.assign(new Error('try again later'), { responseCode: 451 }));
        }
        simpleParser(raw).then(
          (parsed) => {
            messages.push({
              from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
              to: session.envelope.rcptTo.map((r) => r.address),
              raw,
              parsed,
              user: typeof session.user === 'string' ? session.user : null,
              secure: session.secure,
            });
            callback();
          },
          (error: Error) => callback(error),
        );
      });
    },
  };
  const server = new SMTPServer(config);
  server.on('error', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  return {
    port,
    messages,
    logins,
    get deferred() {
      return state.deferred;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A self-signed certificate for 127.0.0.1 and localhost, made with the openssl CLI. */
export function selfSignedCertificate(): { key: string; cert: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'driftctl-cert-'));
  try {
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'key.pem', '-out', 'cert.pem', '-days', '2', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'],
      { cwd: dir, stdio: 'ignore' },
    );
    return { key: readFileSync(path.join(dir, 'key.pem'), 'utf8'), cert: readFileSync(path.join(dir, 'cert.pem'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
