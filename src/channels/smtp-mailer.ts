import nodemailer, { type SendMailOptions } from 'nodemailer';
import { DriftError } from '../errors.js';
import { classifyRequestError } from '../http/request-errors.js';
import type { EmailMessage, MailSender, SmtpServer } from './mail-sender.js';

/**
 * The SMTP adapter over nodemailer: one connection per message (alerts are rare; no pool to
 * leak), timeouts on connect, greeting and every reply. Error messages are built here from the
 * SMTP reply code and text, with the login and password cut out of anything the server echoes.
 */
export function createSmtpMailer(sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms))): MailSender {
  return {
    async send(server, message, options) {
      const attempts = 1 + options.retries;
      let lastProblem = '';
      for (let attempt = 1; attempt <= attempts; attempt++) {
        const transport = nodemailer.createTransport({
          host: server.host,
          port: server.port,
          secure: server.tls === 'implicit',
          requireTLS: server.tls === 'starttls',
          ignoreTLS: server.tls === 'none',
          ...(server.auth ? { auth: { user: server.auth.user, pass: server.auth.pass } } : {}),
          tls: server.ca ? { ca: server.ca } : {},
          connectionTimeout: options.timeoutMs,
          greetingTimeout: options.timeoutMs,
          socketTimeout: options.timeoutMs,
          disableFileAccess: true,
          disableUrlAccess: true,
          logger: false,
        });
        try {
          const info = await transport.sendMail(toMail(message));
          return { attempts: attempt, response: redact(String(info.response ?? ''), server) };
        } catch (error) {
          const failure = describeSmtpError(error, server, options.timeoutMs);
          lastProblem = failure.problem;
          if (!failure.retryable) throw new DriftError('DELIVERY_REJECTED', `${failure.problem}, not retried in this run`, { data: { retryable: false, ...(failure.code ? { smtpCode: failure.code } : {}) } });
        } finally {
          transport.close();
        }
        if (attempt < attempts) await sleep(250 * attempt + Math.floor(Math.random() * 250));
      }
      throw new DriftError('DELIVERY_FAILED', `${lastProblem} after ${attempts} attempt${attempts === 1 ? '' : 's'}`, { data: { retryable: true } });
    },
  };
}

function toMail(message: EmailMessage): SendMailOptions {
  return {
    from: message.from,
    to: message.to,
    ...(message.cc.length > 0 ? { cc: message.cc } : {}),
    subject: message.subject,
    text: message.text,
    html: message.html,
    messageId: message.messageId,
    ...(message.inReplyTo ? { inReplyTo: message.inReplyTo } : {}),
    ...(message.references.length > 0 ? { references: message.references } : {}),
    headers: { 'X-Mailer': 'driftctl', 'Auto-Submitted': 'auto-generated' },
  };
}

interface SmtpFailure {
  problem: string;
  retryable: boolean;
  code?: number;
}

/** What went wrong, in one line without secrets, and whether another attempt may succeed. */
export function describeSmtpError(error: unknown, server: SmtpServer, timeoutMs: number): SmtpFailure {
  const e = error as { code?: string; command?: string; responseCode?: number; response?: string; message?: string; errno?: string };
  const reply = e.response ? ` (${oneLine(redact(e.response, server))})` : '';
  const code = typeof e.responseCode === 'number' ? e.responseCode : undefined;
  const transient = code !== undefined && code >= 400 && code < 500;
  if (e.code === 'EAUTH') return { problem: `SMTP server refused the login${code ? ` with ${code}` : ''}${reply}`, retryable: transient, ...(code ? { code } : {}) };
  if (e.command === 'STARTTLS' || (e.code === 'ETLS' && code !== undefined)) {
    return { problem: `the SMTP server does not offer STARTTLS${reply} (use tls: implicit for a TLS port such as 465, or tls: none for a plain local relay)`, retryable: false, ...(code ? { code } : {}) };
  }
  if (code !== undefined) {
    const hint = code === 530 ? ' (the server requires a login: set user_env and password_env)' : e.code === 'EENVELOPE' ? ` (refused at ${e.command ?? 'the envelope'})` : '';
    return { problem: `SMTP ${code}${reply}${hint}`, retryable: transient, code };
  }
  const message = oneLine(redact(e.message ?? '', server));
  if (/wrong version number|packet length too long|unknown protocol/i.test(message)) {
    return { problem: `TLS with ${server.host}:${server.port} failed: the server does not speak TLS on connect (tls: implicit is for ports like 465; use tls: starttls for 587)`, retryable: false };
  }
  if (/certificate|self[- ]signed|CERT_|UNABLE_TO_VERIFY|SSL routines|handshake/i.test(message)) {
    return { problem: `TLS with ${server.host}:${server.port} failed: ${message} (for a private CA or a self-signed certificate, set the channel's ca: to its PEM file)`, retryable: false };
  }
  const failure = classifyRequestError({ code: e.errno ?? e.code, message });
  if (failure.kind === 'timeout' || e.code === 'ETIMEDOUT' || /timeout/i.test(message)) return { problem: `SMTP timed out after ${timeoutMs} ms`, retryable: true };
  if (failure.kind === 'refused' || /ECONNREFUSED/.test(message)) return { problem: `connection to ${server.host}:${server.port} refused`, retryable: true };
  if (failure.kind === 'not-found' || /ENOTFOUND|EAI_AGAIN/.test(message)) return { problem: `SMTP host ${server.host} not found`, retryable: true };
  if (failure.kind === 'closed' || /ECONNRESET|closed/i.test(message)) return { problem: 'the SMTP server closed the connection', retryable: true };
  return { problem: `SMTP error ${e.code ?? 'unknown'}: ${message}`, retryable: true };
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim().slice(0, 200);
}

/** Text without the login or password (servers sometimes echo the user name). */
function redact(text: string, server: SmtpServer): string {
  let out = text;
  for (const secret of [server.auth?.pass, server.auth?.user, server.auth ? Buffer.from(server.auth.user).toString('base64') : undefined]) {
    if (secret && secret.length >= 3) out = out.split(secret).join('[redacted]');
  }
  return out;
}
