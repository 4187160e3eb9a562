/** A tiny JSON client for the hub's HTTP API over real HTTP. */
export interface ApiResponse<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export class ApiClient {
  token: string | undefined;

  /** `fetchImpl`: e.g. tlsFetch(ca) for a hub serving HTTPS with a test certificate. */
  constructor(
    readonly baseUrl: string,
    private readonly fetchImpl: typeof fetch = fetch,
  ) {}

  async request<T = any>(method: string, path: string, body?: unknown, init: { headers?: Record<string, string>; raw?: string } = {}): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { ...init.headers };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    let payload: string | undefined = init.raw;
    if (body !== undefined) {
      headers['content-type'] ??= 'application/json';
      payload = JSON.stringify(body);
    }
    const send = () => this.fetchImpl(`${this.baseUrl}${path}`, { method, headers, body: payload });
    const res = await send().catch((err: unknown) => {
      // A GET on a kept-alive socket the server closed as idle in the same instant gets a reset;
      // under load that window widens (issue 10, item 14: the crash harness's final read). Like a
      // browser, send an idempotent request once more; a hub that is really gone refuses it again.
      if (method !== 'GET' || !isStaleSocket(err)) throw err;
      return send();
    });
    const text = await res.text();
    // CSV exports (GET /reports/<table>.csv) come back as text; everything else is JSON.
    const parsed = !text ? undefined : res.headers.get('content-type')?.startsWith('text/csv') ? text : JSON.parse(text);
    return { status: res.status, body: parsed, headers: res.headers };
  }

  get<T = any>(path: string) {
    return this.request<T>('GET', path);
  }

  post<T = any>(path: string, body: unknown = {}) {
    return this.request<T>('POST', path, body);
  }

  async login(username: string, password: string): Promise<string> {
    const res = await this.post('/api/v1/auth/login', { username, password });
    if (res.status !== 200) throw new Error(`login failed: ${res.status} ${JSON.stringify(res.body)}`);
    this.token = res.body.token;
    return res.body.token;
  }
}

function isStaleSocket(err: unknown): boolean {
  const code = (err as { cause?: { code?: string } }).cause?.code;
  return code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'EPIPE';
}
