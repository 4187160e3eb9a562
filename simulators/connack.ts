/** Connection failures — CONNACK refusals (MQTT 3.1.1 §3.2.2.3) and socket errors — as errors a person can act on. */

export const CONNACK_MEANINGS: Readonly<Record<number, string>> = {
  1: 'unacceptable protocol version — the hub speaks MQTT 3.1.1 only',
  2: 'identifier rejected — the client id was rejected (it must be a registered device id, equal to the username)',
  3: 'server unavailable — the hub cannot take connections right now; try again',
  4: 'bad user name or password — wrong device id or secret',
  5: 'not authorized — wrong device id or secret, or the device may not connect',
};

export class ConnackRefusedError extends Error {
  constructor(readonly code: number) {
    super(`connection refused: CONNACK ${code} (${CONNACK_MEANINGS[code] ?? 'unknown return code'})`);
    this.name = 'ConnackRefusedError';
  }
}

/** mqtt.js reports a refusal as an error whose `code` is the numeric return code; socket errors have string codes. */
export function connackRefusal(err: Error): ConnackRefusedError | undefined {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'number' && code > 0 && code < 128 ? new ConnackRefusedError(code) : undefined;
}

/** Turns a connection error into what the person at the keyboard should do about it. */
export function explainConnectError(err: Error, host: string, port: number, timeoutMs: number): string {
  const where = `${host}:${port}`;
  if (err instanceof ConnackRefusedError) {
    return `the hub at ${where} refused the connection: CONNACK ${err.code} (${CONNACK_MEANINGS[err.code] ?? 'not an MQTT 3.1.1 return code'})`;
  }
  switch ((err as NodeJS.ErrnoException).code) {
    case 'ECONNREFUSED':
      return `nothing listening on ${where} — is the hub running? set --port to the hub's MQTT port`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `cannot resolve host "${host}" — check --host`;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'ETIMEDOUT':
      return `cannot reach ${where} (${(err as NodeJS.ErrnoException).code}) — check --host and the network`;
    case 'ECONNRESET':
    case 'EPIPE':
      return `${where} closed the connection before answering — is that the hub's MQTT port, or is this address rate-limited?`;
  }
  if (/connack timeout|no CONNACK/i.test(err.message)) {
    return `no CONNACK from ${where} within ${timeoutMs / 1000} s — is that the hub's MQTT port?`;
  }
  return `cannot connect to ${where}: ${err.message}`;
}
