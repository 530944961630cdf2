// The console's only way to the engine: the admin REST API under /v1, with the token the user entered in this tab.
// The token lives in sessionStorage (per tab, gone when the tab closes) and is never put in a URL.
const TOKEN_KEY = 'jo.console.token';

export class ApiError extends Error {
  constructor(status, body) {
    super(body && body.message ? body.message : `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

export const session = {
  token: () => sessionStorage.getItem(TOKEN_KEY),
  save: (token) => sessionStorage.setItem(TOKEN_KEY, token),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
};

/** Calls the API; resolves with the parsed body, rejects with ApiError on a status >= 400. */
export async function api(method, path, body, token = session.token()) {
  const headers = { authorization: `Bearer ${token ?? ''}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    cache: 'no-store',
  });
  const text = await res.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = { message: text };
  }
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

/** The caller's role (`admin` or `read`), or rejects with 401 for an unknown token. */
export async function whoAmI(token) {
  const r = await api('GET', '/v1/console/session', undefined, token);
  return r.role;
}

let featuresPromise;

/**
 * Which optional routes this API has (from its OpenAPI document): pages and buttons that need a route the
 * server does not have are hidden rather than faked.
 */
export function features() {
  featuresPromise ??= fetch('/openapi.json', { cache: 'no-store' })
    .then((r) => r.json())
    .then((doc) => {
      const paths = doc.paths ?? {};
      return {
        report: '/v1/journeys/{id}/report' in paths,
        profiles: '/v1/profiles/{key}' in paths,
        test: '/v1/journeys/{id}/versions/{version}/test' in paths,
        resourceValidate: '/v1/events/validate' in paths,
      };
    })
    .catch(() => ({ report: false, profiles: false, test: false, resourceValidate: false }));
  return featuresPromise;
}

export const enc = encodeURIComponent;
