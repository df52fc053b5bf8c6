// The signed token of roomd --auth=jwt, for pages that have one: from the operator's
// endpoint (/config.json's tokenEndpoint, fetched with the browser's credentials before each
// join and refresh) or from the URL fragment #token=..., which is removed from the address
// bar at once and kept in sessionStorage for reloads. The token only ever travels in the
// WebSocket's join and refresh, never in a URL we request.

const FRAGMENT_KEY = 'chat.token';  // sessionStorage: the token a #token= link brought
const REFRESH_AHEAD_S = 60;         // fetch a new token this long before exp (or at half-life)

// The claims of `token`, unverified (roomd verifies; the page only shows and schedules).
export function claimsOf(token) {
  try {
    const part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    const text = atob(part.padEnd(part.length + (4 - part.length % 4) % 4, '='));
    return JSON.parse(decodeURIComponent(Array.from(text,
      (c) => '%' + c.charCodeAt(0).toString(16).padStart(2, '0')).join('')));
  } catch (e) {
    return {};
  }
}

export class TokenSource {
  #endpoint = '';
  #token = '';

  // Reads the fragment (and forgets it from the address bar), then /config.json.
  async init() {
    const match = /(?:^#|&)token=([^&]+)/.exec(location.hash);
    if (match) {
      this.#token = decodeURIComponent(match[1]);
      history.replaceState(null, '', location.pathname + location.search);
      try {
        sessionStorage.setItem(FRAGMENT_KEY, this.#token);
      } catch (e) { /* storage disabled: this page load only */ }
    } else {
      try {
        this.#token = sessionStorage.getItem(FRAGMENT_KEY) || '';
      } catch (e) { /* storage disabled */ }
    }
    if (this.#token) {
      return true;  // a link's token wins over the endpoint
    }
    try {
      const response = await fetch('config.json', { cache: 'no-store' });
      const config = response.ok ? await response.json() : {};
      this.#endpoint = typeof config.tokenEndpoint === 'string' ? config.tokenEndpoint : '';
    } catch (e) { /* no config: fragment or open mode */ }
    if (this.#endpoint) {
      await this.fetch().catch(() => {});
    }
    return this.enabled;
  }

  get enabled() { return !!(this.#endpoint || this.#token); }
  get token() { return this.#token; }
  get claims() { return claimsOf(this.#token); }

  // A fresh token from the endpoint (the fragment's token cannot be renewed).
  async fetch() {
    if (!this.#endpoint) {
      return this.#token;
    }
    const response = await fetch(this.#endpoint, { credentials: 'include', cache: 'no-store' });
    if (!response.ok) {
      throw new Error('token endpoint answered ' + response.status);
    }
    const text = (await response.text()).trim();
    let token = text;
    try {
      const body = JSON.parse(text);
      token = typeof body === 'string' ? body : (body.token || '');
    } catch (e) { /* a bare token */ }
    this.#token = token;
    return token;
  }

  // Milliseconds until the token should be refreshed, or null if it cannot be.
  refreshDelayMs() {
    const exp = Number(this.claims.exp);
    if (!this.#endpoint || !exp) {
      return null;
    }
    const left = exp - Date.now() / 1000;
    return Math.max(1, Math.min(left - REFRESH_AHEAD_S, left / 2)) * 1000;
  }
}
