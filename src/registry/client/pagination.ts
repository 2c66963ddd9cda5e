import { limitExceeded } from './read-limits.js';

/** One entry of an RFC 8288 `Link` header. */
export interface LinkEntry {
  target: string;
  /** Lower-cased relation types (a `rel` may list several, space separated). */
  rels: string[];
}

/**
 * Parses a `Link` header: `<url>; rel="next", <url2>; rel=prev`. Commas inside `<…>` and inside
 * quoted parameters do not split entries.
 */
export function parseLinkHeader(header: string): LinkEntry[] {
  const entries: LinkEntry[] = [];
  let i = 0;
  const n = header.length;
  while (i < n) {
    const open = header.indexOf('<', i);
    if (open < 0) break;
    const close = header.indexOf('>', open + 1);
    if (close < 0) break;
    const target = header.slice(open + 1, close).trim();
    i = close + 1;
    // Parameters run until the next comma that is outside quotes.
    let params = '';
    let quoted = false;
    while (i < n && (quoted || header[i] !== ',')) {
      if (header[i] === '"') quoted = !quoted;
      params += header[i];
      i++;
    }
    const rel = /(?:^|;)\s*rel\s*=\s*(?:"([^"]*)"|([^\s;]+))/i.exec(params);
    const rels = (rel?.[1] ?? rel?.[2] ?? '').toLowerCase().split(/\s+/).filter(Boolean);
    entries.push({ target, rels });
  }
  return entries;
}

/** The absolute `rel="next"` URL of a Link header, resolved against the request URL; null if none. */
export function nextPageUrl(linkHeader: string | undefined, requestUrl: string): string | null {
  if (!linkHeader) return null;
  const next = parseLinkHeader(linkHeader).find((entry) => entry.rels.includes('next'));
  return next ? new URL(next.target, requestUrl).toString() : null;
}

export interface Page {
  items: string[];
  /** The absolute next-page URL from the Link header, or null. */
  next: string | null;
}

/**
 * Follows `Link: rel="next"` from `firstUrl` and returns every item once, in server order.
 *
 * Servers differ: distribution 2.8.2 honours `n`/`last` on `_catalog` and sends Link, but on
 * `tags/list` ignores both and returns every tag in one page without Link; 3.x paginates tags with
 * Link. So a page without Link ends the listing whatever its size. Two guards make a misbehaving
 * server unable to loop us forever: a next URL already visited, or a page that adds no new item,
 * ends the listing.
 */
export async function collectPages(
  firstUrl: string,
  fetchPage: (url: string) => Promise<Page>,
  limits: { maxPages: number; maxItems: number; itemsLimit: 'maxRepositories' | 'maxTagsPerRepository' } = { maxPages: Infinity, maxItems: Infinity, itemsLimit: 'maxRepositories' },
): Promise<string[]> {
  const visited = new Set<string>();
  const seen = new Set<string>();
  const items: string[] = [];
  let url: string | null = firstUrl;
  while (url !== null && !visited.has(url)) {
    // Bounds before memory: an endless or huge listing ends in an error, never in a partial answer.
    if (visited.size >= limits.maxPages) throw limitExceeded('maxPages', limits.maxPages, { method: 'GET', url }, `more than ${limits.maxPages} pages`);
    visited.add(url);
    const page = await fetchPage(url);
    let added = 0;
    for (const item of page.items) {
      if (seen.has(item)) continue;
      seen.add(item);
      items.push(item);
      added++;
      if (items.length > limits.maxItems) throw limitExceeded(limits.itemsLimit, limits.maxItems, { method: 'GET', url }, `more than ${limits.maxItems} entries`);
    }
    if (added === 0) break;
    url = page.next;
  }
  return items;
}
