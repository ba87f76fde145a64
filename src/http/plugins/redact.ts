/** Query parameters whose values are secrets or grants (spec 1.2's access_token, OAuth, signed URLs). */
const SECRET_PARAMS = new Set([
  'access_token',
  'token',
  'signature',
  'code',
  'device_code',
  'user_code',
  'client_secret',
  'password',
  'state',
  'authorization_code',
  // The page to return to after sign-in carries the authorize or device URL, codes included.
  'next',
]);

/** The URL with the value of every secret-bearing query parameter replaced by `[redacted]`. */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const query = url
    .slice(q + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const rawName = eq < 0 ? pair : pair.slice(0, eq);
      let name = rawName;
      try {
        name = decodeURIComponent(rawName.replace(/\+/g, ' '));
      } catch {
        // An undecodable name is shown as sent; its value is still redacted below if it matches.
      }
      return SECRET_PARAMS.has(name.toLowerCase()) && eq >= 0 ? `${rawName}=[redacted]` : pair;
    })
    .join('&');
  return `${url.slice(0, q)}?${query}`;
}
