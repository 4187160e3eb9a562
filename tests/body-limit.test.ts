/**
 * Issue 10 item 2, the limits themselves over real HTTP: bodies above the
 * limit get 413 in the API's error shape whether they announce their length
 * or stream it chunked; POST /homes/batch has the larger limit it needs; the
 * limit is a setting. (tests/body-limit-memory.test.ts measures memory and
 * alarm latency with 100 MB bodies.)
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_BODY_LIMITS } from '../hub/api/body-limit.js';
import { bigUpload } from './helpers/big-upload.js';
import { closeHub, useCleanup } from './helpers/cleanup.js';
import { startTestHub, type TestHub } from './helpers/test-hub.js';

const keep = useCleanup();
const MiB = 1024 * 1024;

const tooLarge = (limit: number, hint = '') => ({ error: { code: 'payload_too_large', message: `the request body is larger than ${limit} bytes${hint}` } });

/** A home whose resident has both notes at their 2,000-character maximum, in Chinese. */
function heavyHome(i: number, devices = 0) {
  return {
    name: `长者之家 ${i}`,
    address: `上海市浦东新区某某路 ${i} 号 ${'楼'.repeat(100)}`,
    community: '某某社区',
    resident: {
      name: `王兰 ${i}`,
      birthYear: 1940,
      conditions: ['dementia', 'heart_disease'],
      medicationNotes: '药'.repeat(2_000),
      accessNotes: '钥'.repeat(2_000),
      contacts: [1, 2, 3].map((c) => ({ name: `联系人 ${c}`, relation: '女儿', phone: `+86 138 0000 000${c}`, hasKeys: c === 1 })),
    },
    devices: Array.from({ length: devices }, (_, d) => ({ kind: 'bracelet', serial: `HEAVY-${i}-${d}-${'X'.repeat(60)}` })),
  };
}

async function postRaw(hub: TestHub, path: string, body: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${hub.httpUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${hub.api.token}`, ...headers },
    body,
  });
  return { status: res.status, body: await res.json() };
}

describe('request body limit', () => {
  it('answers 413 in the error shape for a body over 1 MiB, announced or chunked; a body under it reaches validation', async () => {
    const hub = keep(await startTestHub(), closeHub);
    const big = JSON.stringify({ username: 'admin', password: 'x'.repeat(MiB) });
    expect(await postRaw(hub, '/api/v1/auth/login', big)).toEqual({ status: 413, body: tooLarge(MiB) });
    const chunked = await bigUpload(Number(new URL(hub.httpUrl).port), '/api/v1/auth/login', 2 * MiB, 'chunked');
    expect({ status: chunked.status, body: JSON.parse(chunked.reply.slice(chunked.reply.indexOf('\r\n\r\n') + 4)) }).toEqual({ status: 413, body: tooLarge(MiB) });
    // Authenticated routes too, and before any handler ran: the alert list is unchanged.
    expect((await postRaw(hub, '/api/v1/homes', big)).status).toBe(413);
    expect((await hub.api.get('/api/v1/homes')).body.homes).toEqual([]);
    const under = await postRaw(hub, '/api/v1/auth/login', JSON.stringify({ username: 'admin', password: 'x'.repeat(MiB - 100) }));
    expect(under.status).toBe(400);
    expect(under.body.error.code).toBe('invalid_body');
  });

  it('lets POST /homes/batch carry more than 1 MiB, and only that route', async () => {
    const hub = keep(await startTestHub(), closeHub);
    const body = JSON.stringify({ homes: Array.from({ length: 120 }, (_, i) => heavyHome(i, 2)) });
    expect(Buffer.byteLength(body)).toBeGreaterThan(1.2 * MiB);
    expect((await postRaw(hub, '/api/v1/homes', body)).status).toBe(413);
    const batch = await postRaw(hub, '/api/v1/homes/batch', body);
    expect(batch.status).toBe(201);
    expect(batch.body.homes).toHaveLength(120);
  });

  it('sizes the batch limit for the largest batch the API takes: 500 heavy homes with 20 devices each', () => {
    const body = JSON.stringify({ homes: Array.from({ length: 500 }, (_, i) => heavyHome(i, 20)) });
    expect(Buffer.byteLength(body)).toBeLessThan(DEFAULT_BODY_LIMITS.maxBatchBodyBytes);
    expect(DEFAULT_BODY_LIMITS.maxBodyBytes).toBe(MiB);
  });

  it('takes its limits from HUB_HTTP_MAX_BODY_BYTES and HUB_HTTP_MAX_BATCH_BODY_BYTES', async () => {
    const hub = keep(await startTestHub({ env: { HUB_HTTP_MAX_BODY_BYTES: '2000', HUB_HTTP_MAX_BATCH_BODY_BYTES: '3000' } }), closeHub);
    const body = JSON.stringify({ homes: [heavyHome(1)] });
    expect(await postRaw(hub, '/api/v1/homes', body)).toEqual({ status: 413, body: tooLarge(2000) });
    expect(await postRaw(hub, '/api/v1/homes/batch', body)).toEqual({ status: 413, body: tooLarge(3000, ': send fewer homes per batch') });
    expect((await hub.api.get('/api/v1/homes')).body.homes).toEqual([]);
  });
});
