/**
 * Mutated HTTP and WebSocket sessions for the HTTP fuzzer (issue 10 item 1):
 * broken request lines, headers and cookies, hand-made upgrades, garbage
 * WebSocket frames after a good handshake, bad bodies and chunking, slow and
 * pipelined clients. Deterministic given the random source, so a failing
 * session can be replayed from its seed (like mutations.ts for MQTT).
 */
import type { Rand } from './mutations.js';

const int = (r: Rand, n: number) => Math.floor(r() * n);
const pick = <T>(r: Rand, items: readonly T[]): T => items[int(r, items.length)]!;
const CRLF = '\r\n';

export interface HttpFuzzContext {
  /** A valid operator session: lets sessions reach the routes and the WebSocket frame parser. */
  token: string;
  /** An alert id that exists, so mutated writes reach real handlers. */
  alertId: string;
}

export interface HttpFuzzSession {
  kind: string;
  chunks: Buffer[];
  /** Pause between chunks (slow clients). */
  delayMs: number;
}

export const HTTP_SESSION_KINDS = ['requestLine', 'headers', 'cookie', 'upgrade', 'wsFrames', 'body', 'chunked', 'slow', 'pipelined', 'bitflip', 'garbage'] as const;

const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD', 'TRACE', 'CONNECT', 'PRI', 'FOO', 'get', 'G\tET', '', 'GET GET', '\u0000'];
const VERSIONS = ['HTTP/1.1', 'HTTP/1.0', 'HTTP/2.0', 'HTTP/9.9', 'HTTP/1.1 extra', '', 'HTTP/1.', 'http/1.1', 'HTTP/1.1\u0000'];
const WEIRD_TARGETS = [
  '//[',
  'http://[::1',
  'http://127.0.0.1/api/v1/health',
  'https://evil.example/api/v1/stream',
  '*',
  '/%',
  '/%zz',
  '/%E0%A4%A',
  '/api/v1/../../etc/passwd',
  '/api/v1/homes/%00',
  '/\\evil',
  '/api/v1/stream?token=%&lastEventId=%ZZ',
  '/api/v1/alerts?limit=%&status=open&status=x&limit=-1&offset=1e99',
  '?',
  '#',
  '/api/v1/homes/%2e%2e/%2e%2e/users',
  '/app.js.map',
  '/api/v1/auth/me?' + 'a=1&'.repeat(2_000),
  '/' + 'a'.repeat(9_000),
  'http://x:99999/',
  '/api/v1/stream/../stream',
];

function target(r: Rand, ctx: HttpFuzzContext): string {
  return int(r, 2)
    ? pick(r, WEIRD_TARGETS)
    : pick(r, ['/', '/api/v1/health', '/api/v1/alerts', '/api/v1/auth/me', '/api/v1/homes?include=devices', `/api/v1/alerts/${ctx.alertId}`, '/api/v1/stream', '/index.html', '/api']);
}

function request(method: string, path: string, headers: string[], body = ''): string {
  return `${method} ${path} HTTP/1.1${CRLF}Host: 127.0.0.1${CRLF}${headers.map((h) => h + CRLF).join('')}${CRLF}${body}`;
}

/** A well-formed request to start mutating from. */
function validRequest(r: Rand, ctx: HttpFuzzContext): string {
  const bearer = `Authorization: Bearer ${ctx.token}`;
  switch (int(r, 6)) {
    case 0:
      return request('GET', '/api/v1/health', []);
    case 1:
      return request('GET', '/api/v1/alerts?status=open', [bearer]);
    case 2: {
      const body = JSON.stringify({ username: pick(r, ['admin', 'nobody', 'fuzz']), password: 'not-the-password' });
      return request('POST', '/api/v1/auth/login', ['Content-Type: application/json', `Content-Length: ${body.length}`], body);
    }
    case 3: {
      const body = JSON.stringify({ text: 'fuzz note' });
      return request('POST', `/api/v1/alerts/${ctx.alertId}/notes`, [bearer, 'Content-Type: application/json', `Content-Length: ${body.length}`], body);
    }
    case 4:
      return request('GET', '/', ['Accept: text/html']);
    default:
      return upgrade('/api/v1/stream', [bearer]);
  }
}

function upgrade(path: string, headers: string[]): string {
  return request('GET', path, ['Upgrade: websocket', 'Connection: Upgrade', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Version: 13', ...headers]);
}

const BAD_HEADERS = [
  'NoColonHere',
  'X-Nul: a\u0000b',
  'Host: [',
  'Host: 127.0.0.1:99999',
  'Host: evil.example',
  'Content-Length: -1',
  'Content-Length: abc',
  'Content-Length: 5\r\nContent-Length: 6',
  'Transfer-Encoding: chunked\r\nContent-Length: 3',
  'Transfer-Encoding: gzip, chunked',
  'Transfer-Encoding: identity',
  ' Folded: continuation',
  'X-Long: ' + 'a'.repeat(20_000),
  Array.from({ length: 300 }, (_, i) => `X-Many-${i}: y`).join(CRLF),
  'Authorization: Bearer %%%',
  'Authorization: Bearer ' + 'x'.repeat(5_000),
  'Authorization: Basic YWRtaW46YWRtaW4=',
  'Authorization: Bearer',
  'Origin: null',
  'Origin: http://[',
  'Sec-Fetch-Site: cross-site',
  'Sec-Fetch-Site: \u00ff',
  'Content-Type: application/json; charset=utf-16',
  'Expect: 100-continue',
  'Connection: keep-alive, Upgrade',
  'Upgrade: h2c',
  'X-Forwarded-For: 1.2.3.4, [',
  'Accept-Language: \u00e4\u00f6',
];

const BAD_COOKIES = ['x=%', 'hc_session=%', 'hc_session=%E0%A4%A', 'hc_session="%"', ';;;;', '=', '==;=', 'hc_session', 'hc_session=a; hc_session=%', '\u00ff\u00fe=\u0080', 'a'.repeat(8_000), Array.from({ length: 200 }, (_, i) => `c${i}=%${i}`).join('; ')];

function cookieValue(r: Rand, ctx: HttpFuzzContext): string {
  const bad = pick(r, BAD_COOKIES);
  return int(r, 3) === 0 ? `${bad}; hc_session=${ctx.token}` : bad;
}

function randomBytes(r: Rand, n: number): Buffer {
  return Buffer.from(Array.from({ length: n }, () => int(r, 256)));
}

/** WebSocket frames, mostly broken (RFC 6455 §5.2), sent after a good handshake. */
function wsFrame(r: Rand): Buffer {
  const masked = int(r, 4) !== 0;
  const opcode = pick(r, [0x0, 0x1, 0x2, 0x3, 0x7, 0x8, 0x9, 0xa, 0xb, 0xf]);
  const fin = int(r, 4) !== 0 ? 0x80 : 0;
  const rsv = int(r, 6) === 0 ? 0x70 : 0;
  const payload = pick(r, [Buffer.from('{"type":"ping"}'), Buffer.from('{"type":"x"'), randomBytes(r, int(r, 200)), Buffer.from([0xff, 0xfe, 0xc0]), Buffer.alloc(0), Buffer.from([0x03, 0xe8 + int(r, 20)])]);
  const lengthForm = int(r, 5);
  let header: Buffer;
  if (lengthForm === 0) header = Buffer.from([fin | rsv | opcode, (masked ? 0x80 : 0) | 127, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
  else if (lengthForm === 1) header = Buffer.from([fin | rsv | opcode, (masked ? 0x80 : 0) | 126, 0x40, 0x00]);
  else header = Buffer.from([fin | rsv | opcode, (masked ? 0x80 : 0) | Math.min(125, payload.length)]);
  const mask = masked ? randomBytes(r, 4) : Buffer.alloc(0);
  return Buffer.concat([header, mask, payload.subarray(0, 125)]);
}

function chunkedBody(r: Rand): string {
  const parts: string[] = [];
  for (let i = 0, n = 1 + int(r, 4); i < n; i++) {
    parts.push(
      pick(r, [
        `5${CRLF}hello${CRLF}`,
        `zz${CRLF}hello${CRLF}`,
        `ffffffffffffffff${CRLF}a${CRLF}`,
        `5;${'e'.repeat(20_000)}${CRLF}hello${CRLF}`,
        `3${CRLF}hello${CRLF}`,
        `5${CRLF}hello`,
        `-1${CRLF}${CRLF}`,
        `80000${CRLF}${'a'.repeat(0x80000)}${CRLF}`,
      ]),
    );
  }
  parts.push(pick(r, [`0${CRLF}${CRLF}`, `0${CRLF}X-Trailer: y${CRLF}${CRLF}`, '', `0${CRLF}`]));
  return parts.join('');
}

function body(r: Rand): string {
  return pick(r, [
    '',
    '{',
    'null',
    '[]',
    '{"username":{"$gt":""},"password":["x"]}',
    '{"__proto__":{"admin":true},"username":"admin","password":"x"}',
    `${'['.repeat(50_000)}${']'.repeat(50_000)}`,
    `{"username":"${'a'.repeat(200_000)}","password":"x"}`,
    '\u00ff\u00fe{\u0000"',
    'username=admin&password=x',
    `--b${CRLF}Content-Disposition: form-data; name="x"${CRLF}${CRLF}y${CRLF}--b--`,
    '{"text":"' + '\\ud800'.repeat(100) + '"}',
  ]);
}

function bodySession(r: Rand, ctx: HttpFuzzContext): string {
  const path = pick(r, ['/api/v1/auth/login', `/api/v1/alerts/${ctx.alertId}/notes`, '/api/v1/homes', '/api/v1/homes/batch', `/api/v1/alerts/${ctx.alertId}/acknowledge`, '/api/v1/nothing']);
  const b = body(r);
  const contentType = pick(r, ['Content-Type: application/json', 'Content-Type: text/plain', 'Content-Type: multipart/form-data; boundary=b', 'Content-Type: application/x-www-form-urlencoded', 'Content-Type: application/json; charset=latin1']);
  const auth = int(r, 2) ? [`Authorization: Bearer ${ctx.token}`] : [];
  const length = pick(r, [b.length, b.length + 10, Math.max(0, b.length - 3), 100 * 1024 * 1024]);
  return request(pick(r, ['POST', 'PUT', 'PATCH', 'DELETE']), path, [contentType, `Content-Length: ${length}`, ...auth], b);
}

function mutate(r: Rand, text: string): Buffer {
  const bytes = Buffer.from(text, 'latin1');
  switch (int(r, 3)) {
    case 0:
      for (let i = 0, n = 1 + int(r, 6); i < n; i++) bytes[int(r, bytes.length)]! ^= 1 << int(r, 8);
      return bytes;
    case 1:
      return bytes.subarray(0, int(r, bytes.length));
    default: {
      const at = int(r, bytes.length);
      return Buffer.concat([bytes.subarray(0, at), Buffer.from(pick(r, ['\r', '\n', '\r\n\r\n', '\u0000', ' ', ':', '%', '\u00ff'])), bytes.subarray(at)]);
    }
  }
}

/** Splits `data` into 1–8 byte pieces: a client that dribbles its request. */
function dribble(r: Rand, data: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < data.length && out.length < 200; ) {
    const n = 1 + int(r, 8);
    out.push(data.subarray(at, at + n));
    at += n;
  }
  return out;
}

const one = (kind: string, data: string | Buffer, delayMs = 0): HttpFuzzSession => ({ kind, chunks: [typeof data === 'string' ? Buffer.from(data, 'latin1') : data], delayMs });

export function httpFuzzSession(r: Rand, ctx: HttpFuzzContext): HttpFuzzSession {
  const kind = pick(r, HTTP_SESSION_KINDS);
  const bearer = `Authorization: Bearer ${ctx.token}`;
  switch (kind) {
    case 'requestLine':
      return one(kind, `${pick(r, METHODS)} ${int(r, 2) ? target(r, ctx) : pick(r, WEIRD_TARGETS)} ${pick(r, VERSIONS)}${CRLF}Host: 127.0.0.1${CRLF}${CRLF}`);
    case 'headers': {
      const extra = Array.from({ length: 1 + int(r, 3) }, () => pick(r, BAD_HEADERS));
      const method = pick(r, ['GET', 'POST']);
      return one(kind, request(method, target(r, ctx), [...(int(r, 2) ? [bearer] : []), ...extra]));
    }
    case 'cookie': {
      const cookie = `Cookie: ${cookieValue(r, ctx)}`;
      if (int(r, 2)) return one(kind, upgrade(pick(r, ['/api/v1/stream', '//[', '/api/v1/stream?token=%']), [cookie, ...(int(r, 2) ? ['Origin: http://127.0.0.1'] : [])]));
      return one(kind, request(pick(r, ['GET', 'POST']), pick(r, ['/api/v1/auth/me', `/api/v1/alerts/${ctx.alertId}/acknowledge`, '/api/v1/alerts', '/']), [cookie]));
    }
    case 'upgrade': {
      const headers = [
        ...(int(r, 2) ? [bearer] : []),
        ...Array.from({ length: int(r, 3) }, () =>
          pick(r, ['Sec-WebSocket-Version: 8', 'Sec-WebSocket-Key: short', 'Origin: http://evil.example', 'Origin: null', 'Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits=99', 'Sec-WebSocket-Protocol: ,,,', 'Upgrade: h2c', 'Cookie: x=%']),
        ),
      ];
      const path = int(r, 2) ? '/api/v1/stream' : target(r, ctx);
      return one(kind, Buffer.concat([Buffer.from(upgrade(path, headers), 'latin1'), int(r, 3) === 0 ? wsFrame(r) : Buffer.alloc(0)]));
    }
    case 'wsFrames': {
      const frames = Array.from({ length: 1 + int(r, 6) }, () => wsFrame(r));
      return { kind, chunks: [Buffer.from(upgrade(`/api/v1/stream?token=${ctx.token}`, []), 'latin1'), ...frames], delayMs: int(r, 2) };
    }
    case 'body':
      return one(kind, bodySession(r, ctx));
    case 'chunked':
      return one(kind, request('POST', pick(r, ['/api/v1/auth/login', `/api/v1/alerts/${ctx.alertId}/notes`]), ['Content-Type: application/json', 'Transfer-Encoding: chunked', ...(int(r, 2) ? [bearer] : [])], chunkedBody(r)));
    case 'slow': {
      const data = Buffer.from(validRequest(r, ctx), 'latin1');
      const pieces = dribble(r, int(r, 2) ? data : data.subarray(0, int(r, data.length)));
      return { kind, chunks: pieces, delayMs: 1 + int(r, 3) };
    }
    case 'pipelined': {
      const parts = Array.from({ length: 2 + int(r, 4) }, () => (int(r, 3) === 0 ? mutate(r, validRequest(r, ctx)) : Buffer.from(validRequest(r, ctx), 'latin1')));
      return one(kind, Buffer.concat(parts));
    }
    case 'bitflip':
      return one(kind, mutate(r, validRequest(r, ctx)));
    default:
      return one(kind, pick(r, [randomBytes(r, 1 + int(r, 512)), Buffer.from(`PRI * HTTP/2.0${CRLF}${CRLF}SM${CRLF}${CRLF}`), Buffer.from([0x16, 0x03, 0x01, 0x00, 0xa5, 0x01]), Buffer.from(CRLF.repeat(1 + int(r, 50)))]));
  }
}
