import type { SmtpTls } from '../config/config.js';

/**
 * Sending one email through an SMTP server. The implementation (smtp-mailer.ts) is the only
 * module that imports nodemailer; channels and tests see this interface.
 */
export interface SmtpServer {
  host: string;
  port: number;
  tls: SmtpTls;
  /** Read from the environment at delivery; never stored, logged or put in error messages. */
  auth?: { user: string; pass: string };
  /** PEM CA certificates trusted for the server's certificate, besides the system's. */
  ca?: string;
}

/** A rendered email: what the outbox keeps for an email payload (as JSON in `Payload.body`). */
export interface EmailMessage {
  from: string;
  to: string[];
  cc: string[];
  subject: string;
  text: string;
  html: string;
  /** `<id@domain>` headers that thread an alert's messages together. */
  messageId: string;
  inReplyTo: string | null;
  references: string[];
}

export interface MailSender {
  /**
   * Sends `message`, retrying connection failures, timeouts and transient (4xx) SMTP replies up to
   * `retries` times with backoff. Throws DELIVERY_FAILED (retries exhausted) or DELIVERY_REJECTED
   * (refused login, permanent 5xx reply, TLS failure: not retried in this run).
   */
  send(server: SmtpServer, message: EmailMessage, options: { timeoutMs: number; retries: number }): Promise<{ attempts: number; response: string }>;
}
