/**
 * The provisioning CLI's view of the hub: JSON over the public API with a
 * bearer token, each failure as one readable sentence (status and the hub's
 * own message), so the CLI can print it against the CSV line it concerns.
 */
export class HubClient {
  private token = '';
  constructor(private readonly base: string) {}

  async login(username: string, password: string): Promise<void> {
    const res = await this.call('POST', '/auth/login', { username, password });
    this.token = res.token as string;
  }

  async call(method: string, path: string, body?: unknown): Promise<Record<string, any>> {
    let res: Response;
    try {
      res = await fetch(`${this.base}/api/v1${path}`, {
        method,
        headers: { 'content-type': 'application/json', ...(this.token ? { authorization: `Bearer ${this.token}` } : {}) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      throw new Error(`cannot reach the hub at ${this.base} (${(err as Error).cause ?? (err as Error).message}): is it running? set --url`);
    }
    const json = (await res.json().catch(() => ({}))) as Record<string, any>;
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${json.error?.message ?? res.statusText}`);
    return json;
  }
}
