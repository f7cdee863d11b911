/**
 * What went wrong with an HTTP request, from the error codes of undici, Node and OpenSSL: shared
 * by alert delivery and the http source, which each phrase it for their own messages.
 */
export type RequestFailure =
  | { kind: 'timeout' | 'refused' | 'not-found' | 'closed'; code: string }
  | { kind: 'tls' | 'other'; code: string; message: string };

export function classifyRequestError(error: unknown): RequestFailure {
  const e = error as { code?: unknown; name?: string; message?: string; cause?: { code?: unknown; message?: string } };
  // A DOMException (AbortSignal.timeout) has a numeric legacy `code` (23): use its name instead.
  const own = typeof e.code === 'string' ? e.code : undefined;
  const inner = typeof e.cause?.code === 'string' ? e.cause.code : undefined;
  const code = own ?? inner ?? e.name ?? 'error';
  if (['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT', 'TimeoutError', 'AbortError'].includes(code)) return { kind: 'timeout', code };
  if (code === 'ECONNREFUSED') return { kind: 'refused', code };
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return { kind: 'not-found', code };
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET') return { kind: 'closed', code };
  const tls = [own, inner].find((c) => c !== undefined && /CERT|SELF_SIGNED|TLS|SSL|UNABLE_TO/.test(c));
  if (tls) return { kind: 'tls', code: tls, message: (tls === own ? e.message : e.cause?.message) ?? '' };
  return { kind: 'other', code, message: e.message ?? '' };
}
