/**
 * Speaks HTTP exactly as the official BaseSpace Python SDK does (shared/docs/client-contract.md):
 * `Authorization: Bearer` on every call, `Content-Type: application/json` even on GETs, a
 * urllib User-Agent, list calls with `Limit=1024&Offset=N&SortBy=DateCreated`, paging by
 * `Offset += DisplayedCount` until `TotalCount`. Checks the envelope rules the SDK enforces.
 */
export interface Reply<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export class PythonSdkClient {
  constructor(
    readonly base: string,
    readonly token: string,
  ) {}

  private headers(): Record<string, string> {
    return {
      Authorization: `Bearer ${this.token}`,
      'Content-Type': 'application/json',
      'User-Agent': 'Python-urllib/3.11',
    };
  }

  async get(path: string, query: Record<string, string | number> = {}): Promise<Reply> {
    const qs = new URLSearchParams(
      Object.entries(query).map(([k, v]): [string, string] => [k, String(v)]),
    ).toString();
    const res = await fetch(`${this.base}/v1pre3/${path}${qs ? `?${qs}` : ''}`, {
      headers: this.headers(),
    });
    return { status: res.status, body: await res.json(), headers: res.headers };
  }

  post(path: string, body: unknown): Promise<Reply> {
    return this.postText(path, JSON.stringify(body));
  }

  /**
   * A POST whose body is already JSON text, as `launchApp(appId, configJson)` sends the launch
   * JSON it was given (AppLaunchHelpers builds it), with `Content-Type: application/json`.
   */
  async postText(path: string, text: string): Promise<Reply> {
    const res = await fetch(`${this.base}/v1pre3/${path}`, {
      method: 'POST',
      headers: this.headers(),
      body: text,
    });
    return { status: res.status, body: await res.json(), headers: res.headers };
  }

  /** `getUserProjectByName`-style single object read, raising like the SDK on an error envelope. */
  async object(path: string): Promise<any> {
    const reply = await this.get(path);
    return sdkResponse(reply);
  }

  /** The SDK's paged list loop: Limit=1024, Offset += DisplayedCount until TotalCount. */
  async listAll(
    path: string,
    extra: Record<string, string> = {},
    sortBy: string | null = 'DateCreated',
  ): Promise<any[]> {
    const items: any[] = [];
    let offset = 0;
    for (;;) {
      const reply = await this.get(path, {
        Limit: 1024,
        Offset: offset,
        ...(sortBy && { SortBy: sortBy }),
        ...extra,
      });
      const response = sdkResponse(reply);
      if (!('ResponseStatus' in reply.body)) throw new Error('KeyError: ResponseStatus');
      items.push(...response.Items);
      if (response.TotalCount === undefined || items.length >= response.TotalCount) return items;
      if (response.DisplayedCount === 0) throw new Error('Paged query returned no results');
      offset += response.DisplayedCount;
    }
  }
}

/** What the SDK does with a body: error if ResponseStatus has ErrorCode or Message. */
export function sdkResponse(reply: Reply): any {
  const status = reply.body?.ResponseStatus;
  if (status === undefined && reply.body?.Response === undefined)
    throw new Error('Error decoding json');
  if (status && ('ErrorCode' in status || 'Message' in status)) {
    throw new Error(`BaseSpaceException: ${status.ErrorCode}: ${status.Message}`);
  }
  return reply.body.Response;
}
