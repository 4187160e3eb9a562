/**
 * A hub stopped while an HTTP request is being handled (found by the HTTP
 * fuzzer's graceful stop: a login, ~200 ms of hashing, then its audit line
 * written to a journal already closed, "journal: append after close()"). The
 * listener closes the connections, then lets the handlers in flight finish
 * before the services behind it stop (hub/compose/http-listener.ts).
 */
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { HttpListener, type HubApp } from '../hub/compose/http-listener.js';
import { createLogger } from '../hub/core/logger.js';
import type { StreamServer } from '../hub/realtime/stream-server.js';
import { journalLines } from './helpers/journal-lines.js';
import { logSink } from './helpers/log-sink.js';
import { makeTempDir } from './helpers/temp-dir.js';
import { ADMIN_PASSWORD, startTestHub } from './helpers/test-hub.js';
import { waitFor } from './helpers/wait-for.js';

describe('stopping the hub while a request is handled', () => {
  it('lets a login in flight write its audit line before the journal closes, and logs no error', async () => {
    const sink = logSink();
    const dir = await makeTempDir(); // ours: the journal is read after the hub stopped
    const hub = await startTestHub({ store: 'files', dataDir: dir.path, log: createLogger('info', sink.stream) });
    const login = fetch(`${hub.httpUrl}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }),
    }).catch((err: unknown) => err); // its connection is closed by the stop: no answer is expected
    await waitFor(() => hub.hub.http.requestsInFlight === 1, 'the login to be in its handler');
    const logins = (await journalLines(hub.dataDir)).filter((l) => l.type === 'audit' && (l.data as { action: string }).action === 'auth.login').length;

    await hub.stop();
    await login;
    expect(sink.lines.filter((l) => l.level >= 50)).toEqual([]);
    const after = (await journalLines(hub.dataDir)).filter((l) => l.type === 'audit' && (l.data as { action: string }).action === 'auth.login').length;
    expect(after).toBe(logins + 1);
    await dir.remove();
  });

  it('stops after the grace when a handler never ends, and says which request it was (not its query)', async () => {
    const sink = logSink();
    const app = new Hono();
    let entered = false;
    app.get('/api/v1/slow', () => {
      entered = true;
      return new Promise<Response>(() => undefined); // never answers
    });
    const noStream = { attach: () => undefined, stop: () => undefined, listen: () => undefined, onUpgrade: () => undefined } as unknown as StreamServer;
    const listener = new HttpListener({ host: '127.0.0.1', port: 0, makeApp: () => app as unknown as HubApp, stream: noStream, tls: () => undefined, log: createLogger('info', sink.stream), requestsGraceMs: 50 });
    await listener.start();
    const slow = fetch(`http://127.0.0.1:${listener.address!.port}/api/v1/slow?token=secret`).catch((err: unknown) => err);
    await waitFor(() => entered && listener.requestsInFlight === 1, 'the request to be in its handler');
    await listener.stop();
    await slow;
    const warned = sink.lines.find((l) => l.msg.startsWith('stop: requests still being handled'));
    expect(warned).toMatchObject({ level: 40, stillHandling: ['GET /api/v1/slow'], count: 1, graceMs: 50 });
    expect(JSON.stringify(sink.lines)).not.toContain('secret');
  });
});
