/**
 * A hub stopped while an HTTP request is being handled (found by the HTTP
 * fuzzer's graceful stop: a login, ~200 ms of hashing, then its audit line
 * written to a journal already closed, "journal: append after close()"). The
 * listener closes the connections, then lets the handlers in flight finish
 * before the services behind it stop (hub/compose/http-listener.ts).
 */
import { describe, expect, it } from 'vitest';
import { createLogger } from '../hub/core/logger.js';
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
});
