/**
 * Plays a browser against the hub's pages over real HTTP: keeps cookies, never follows
 * redirects on its own (tests follow them by hand), and reads forms out of the HTML.
 */
export class Browser {
  readonly cookies = new Map<string, string>();

  constructor(readonly base: string) {}

  private cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  private remember(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      if (value === '' || /max-age=0|expires=thu, 01 jan 1970/i.test(line))
        this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  async get(pathOrUrl: string): Promise<Page> {
    const res = await fetch(new URL(pathOrUrl, this.base), {
      redirect: 'manual',
      headers: { cookie: this.cookieHeader() },
    });
    this.remember(res);
    return Page.of(res);
  }

  async post(pathOrUrl: string, fields: Record<string, string>): Promise<Page> {
    const res = await fetch(new URL(pathOrUrl, this.base), {
      method: 'POST',
      redirect: 'manual',
      headers: {
        cookie: this.cookieHeader(),
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams(fields).toString(),
    });
    this.remember(res);
    return Page.of(res);
  }

  /** Signs in through the sign-in page (GET the form, POST it with its CSRF token). */
  async signIn(email: string, password: string, next?: string): Promise<Page> {
    const form = await this.get(`/signin${next ? `?next=${encodeURIComponent(next)}` : ''}`);
    return this.submit(form, 0, { email, password });
  }

  /** Submits form number `index` of a page with its hidden fields plus `fields`. */
  async submit(page: Page, index: number, fields: Record<string, string>): Promise<Page> {
    const form = page.forms()[index];
    if (!form) throw new Error(`no form ${index} on the page:\n${page.body}`);
    return this.post(form.action, { ...form.fields, ...fields });
  }
}

const decode = (s: string) =>
  s
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&#96;/g, '`')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');

export class Page {
  constructor(
    readonly status: number,
    readonly headers: Headers,
    readonly body: string,
  ) {}

  static async of(res: Response): Promise<Page> {
    return new Page(res.status, res.headers, await res.text());
  }

  get location(): string | undefined {
    return this.headers.get('location') ?? undefined;
  }

  /** Each form's action and its hidden and pre-filled text inputs. */
  forms(): { action: string; fields: Record<string, string> }[] {
    return [...this.body.matchAll(/<form[^>]*action="([^"]*)"[^>]*>([\s\S]*?)<\/form>/g)].map(
      (m) => {
        const fields: Record<string, string> = {};
        for (const input of m[2]!.matchAll(/<input([^>]*)>/g)) {
          const attrs = input[1]!;
          const type = /type="([^"]*)"/.exec(attrs)?.[1];
          const name = /name="([^"]*)"/.exec(attrs)?.[1];
          const value = /value="([^"]*)"/.exec(attrs)?.[1];
          if (name && (type === 'hidden' || type === 'text') && value !== undefined)
            fields[decode(name)] = decode(value);
        }
        return { action: decode(m[1]!), fields };
      },
    );
  }

  /** The visible text of the list items (the scopes in words). */
  listItems(): string[] {
    return [...this.body.matchAll(/<li>([\s\S]*?)<\/li>/g)].map((m) => decode(m[1]!));
  }
}
