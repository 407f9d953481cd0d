/**
 * A small Management API client for the CLI: gets a token by client_credentials with the admin client
 * (BATON_URL, BATON_ADMIN_CLIENT_ID, BATON_ADMIN_CLIENT_SECRET, or flags) and calls /api/v2.
 */
export interface ApiClientOptions {
  url: string;
  clientId: string;
  clientSecret: string;
}

export class ManagementApiError extends Error {
  constructor(
    public readonly status: number,
    public readonly body: unknown,
  ) {
    super(typeof body === 'object' && body && 'message' in body ? String(body.message) : `HTTP ${status}`);
  }
}

export class ApiClient {
  private token: string | undefined;
  constructor(private readonly opts: ApiClientOptions) {}

  private base(): string {
    return this.opts.url.endsWith('/') ? this.opts.url : `${this.opts.url}/`;
  }

  private async accessToken(): Promise<string> {
    if (this.token) return this.token;
    const discovery = (await (await fetch(`${this.base()}.well-known/openid-configuration`)).json()) as {
      issuer: string;
    };
    const res = await fetch(`${this.base()}oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: this.opts.clientId,
        client_secret: this.opts.clientSecret,
        audience: `${discovery.issuer}api/v2/`,
      }),
    });
    const body = (await res.json()) as { access_token?: string; error_description?: string };
    if (!res.ok || !body.access_token)
      throw new Error(`could not get a Management API token: ${body.error_description ?? res.status}`);
    this.token = body.access_token;
    return this.token;
  }

  async request<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.base()}api/v2/${path.replace(/^\//, '')}`, {
      method,
      headers: {
        authorization: `Bearer ${await this.accessToken()}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    const parsed = text ? (JSON.parse(text) as unknown) : undefined;
    if (!res.ok) throw new ManagementApiError(res.status, parsed);
    return parsed as T;
  }
}

export function apiClientFromEnv(flags: { url?: string; clientId?: string; clientSecret?: string }): ApiClient {
  const port = process.env.PORT ?? '3000';
  const url = flags.url ?? process.env.BATON_URL ?? `http://127.0.0.1:${port}/`;
  const clientId = flags.clientId ?? process.env.BATON_ADMIN_CLIENT_ID;
  const clientSecret = flags.clientSecret ?? process.env.BATON_ADMIN_CLIENT_SECRET;
  if (!clientId || !clientSecret) {
    throw new Error('set BATON_ADMIN_CLIENT_ID and BATON_ADMIN_CLIENT_SECRET (or --client-id/--client-secret)');
  }
  return new ApiClient({ url, clientId, clientSecret });
}
