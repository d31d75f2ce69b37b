/**
 * The one place that opens a connection to Temporal (issue 13 item 2): the CLI's client, the
 * worker's NativeConnection, the embedded `start`, the readiness probe of the dev-server helper and
 * the scripts all come through here, so TLS, mTLS and the API key apply to every one of them.
 */
import { isIP } from 'node:net';
import * as tls from 'node:tls';
import { Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { describeTemporalSettings, type TemporalSettings } from './temporal-settings';

export class TemporalConnectError extends Error {
  constructor(
    message: string,
    readonly address: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

export interface OpenOptions {
  /** Give up after this long (default 10 s). */
  connectTimeoutMs?: number;
}

function connectOptions(s: TemporalSettings) {
  return {
    address: s.address,
    // `false` (not undefined): the SDK would otherwise turn TLS on by itself when an API key is set;
    // the settings already decided, and refuse an API key without TLS.
    tls: s.tls ?? false,
    ...(s.apiKey !== undefined ? { apiKey: s.apiKey } : {}),
  };
}

/** Turns the SDK's transport errors into one that names the address, the TLS set-up and what to check. */
export function explainConnectError(s: TemporalSettings, err: unknown): TemporalConnectError {
  const raw = err instanceof Error ? err.message : String(err);
  // Never echo the API key, even if a transport error quoted a header.
  const cause = s.apiKey ? raw.split(s.apiKey).join('[redacted]') : raw;
  const lower = cause.toLowerCase();
  let hint: string;
  if (
    /certificate|unknownissuer|unknown ca|self.signed|invalidcertificate|badcertificate|not valid for name|notvalidforname|handshake|altnames|err_tls|ssl/.test(
      lower,
    )
  ) {
    hint = s.tls
      ? `the TLS handshake failed: check that ${s.sources.ca ?? 'the system trust store'} holds the CA that signed the server's certificate, that the server name (${s.tls.serverNameOverride ?? 'host of TEMPORAL_ADDRESS'}) is in that certificate, and that the server accepts ${s.tls.clientCertPair ? `the client certificate from ${s.sources.clientCert}` : 'clients without a certificate (if it requires mTLS, set TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH)'}`
      : 'the server may require TLS: set TEMPORAL_TLS=true (and the CA / client certificate / API key it needs)';
  } else if (/unauthenticated|permission denied|permissiondenied|401|403/.test(lower)) {
    hint =
      s.apiKey !== undefined
        ? 'the API key was refused: check TEMPORAL_API_KEY and TEMPORAL_NAMESPACE'
        : 'the server refused this client: it may need an API key (TEMPORAL_API_KEY) or a client certificate';
  } else if (/protocol|http2|h2|frame|connection reset|broken pipe|transport|unavailable/.test(lower)) {
    hint = s.tls
      ? `check that TEMPORAL_ADDRESS is a TLS endpoint of Temporal and that it accepts ${s.tls.clientCertPair ? `the client certificate from ${s.sources.clientCert}` : 'clients without a certificate (if it requires mTLS, set TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH)'}`
      : 'if the server speaks TLS, set TEMPORAL_TLS=true; otherwise check that TEMPORAL_ADDRESS is a Temporal frontend';
  } else {
    hint = `check TEMPORAL_ADDRESS and that the server is running and reachable${s.tls ? '' : ' (a server that requires TLS also looks like this: then set TEMPORAL_TLS=true)'}`;
  }
  return new TemporalConnectError(
    `cannot connect to Temporal at ${describeTemporalSettings(s)}: ${cause}\n  hint: ${hint}`,
    s.address,
    { cause: err },
  );
}

/**
 * The JS gRPC client only reports "Failed to connect before the deadline" when TLS fails. This makes
 * the same handshake with Node's TLS (same CA, server name, client certificate, ALPN h2) and sends the
 * HTTP/2 preface, so a refused client certificate (an alert after the handshake) shows up too.
 * Returns the reason, or undefined when the handshake works.
 */
export async function diagnoseTls(s: TemporalSettings, timeoutMs = 5_000): Promise<string | undefined> {
  if (!s.tls) return undefined;
  const i = s.address.lastIndexOf(':');
  const host = s.address.slice(0, i).replace(/^\[|\]$/g, '');
  const name = s.tls.serverNameOverride ?? host;
  return new Promise((resolve) => {
    let done = false;
    let handshakeDone = false;
    // After a completed handshake, a reset or close instead of the server's SETTINGS is the server
    // refusing us; without a client certificate that is almost always mTLS (the alert may be lost).
    const afterHandshake = (what: string) =>
      s.tls!.clientCertPair
        ? `${what} right after the TLS handshake (is the client certificate trusted by the server?)`
        : `${what} right after the TLS handshake: it requires a client certificate (mTLS)`;
    const finish = (reason: string | undefined) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(reason);
    };
    const socket = tls.connect({
      host,
      port: Number(s.address.slice(i + 1)),
      ...(isIP(name) ? {} : { servername: name }),
      ca: s.tls!.serverRootCACertificate,
      cert: s.tls!.clientCertPair?.crt,
      key: s.tls!.clientCertPair?.key,
      ALPNProtocols: ['h2'],
      checkServerIdentity: (_h, cert) => tls.checkServerIdentity(name, cert),
    });
    const timer = setTimeout(() => finish(undefined), timeoutMs);
    socket.once('secureConnect', () => {
      handshakeDone = true;
      // Connection preface + an empty SETTINGS frame: a server that refuses our certificate after a
      // TLS 1.3 handshake answers with an alert instead of its own SETTINGS.
      socket.write(
        Buffer.concat([Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'), Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0])]),
      );
    });
    socket.once('data', () => finish(undefined));
    socket.once('error', (e: NodeJS.ErrnoException) => {
      const text = `${e.code ? `${e.code}: ` : ''}${e.message.trim()}`;
      // Not a TLS problem at all (nothing listens, no such host): leave the SDK's own error.
      if (
        !handshakeDone &&
        /^(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH)$/.test(e.code ?? '')
      )
        return finish(undefined);
      finish(
        handshakeDone && /ECONNRESET|EPIPE/.test(text)
          ? afterHandshake(`the server reset the connection (${e.code})`)
          : text,
      );
    });
    socket.once('close', () =>
      finish(
        handshakeDone
          ? afterHandshake('the server closed the connection')
          : 'the server closed the connection during the TLS handshake',
      ),
    );
  });
}

/** A client connection (CLI, schedules, activities that start workflows). */
export async function openClientConnection(s: TemporalSettings, opts: OpenOptions = {}): Promise<Connection> {
  try {
    return await Connection.connect({ ...connectOptions(s), connectTimeout: opts.connectTimeoutMs ?? 10_000 });
  } catch (err) {
    // The JS client says only "Failed to connect before the deadline": let Node's handshake say why.
    const tlsReason = await diagnoseTls(s).catch(() => undefined);
    throw explainConnectError(s, tlsReason ? new Error(`TLS handshake failed: ${tlsReason}`, { cause: err }) : err);
  }
}

/** The worker's connection (Rust core). */
export async function openNativeConnection(s: TemporalSettings): Promise<NativeConnection> {
  try {
    return await NativeConnection.connect(connectOptions(s));
  } catch (err) {
    throw explainConnectError(s, await withTlsDiagnosis(s, err));
  }
}

/** The core's own message names the TLS failure; Node's handshake adds the reason it sees. */
async function withTlsDiagnosis(s: TemporalSettings, err: unknown): Promise<unknown> {
  const tlsReason = await diagnoseTls(s).catch(() => undefined);
  return tlsReason
    ? new Error(`TLS handshake failed: ${tlsReason} (${err instanceof Error ? err.message : String(err)})`, {
        cause: err,
      })
    : err;
}
