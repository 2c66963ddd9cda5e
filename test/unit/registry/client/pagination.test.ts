import { describe, expect, it } from 'vitest';
import { collectPages, nextPageUrl, parseLinkHeader, type Page } from '../../../../src/registry/client/pagination.js';

describe('parseLinkHeader', () => {
  it('parses distribution catalog Link', () => {
    expect(parseLinkHeader('</v2/_catalog?last=r%2Frepo77&n=100>; rel="next"')).toEqual([
      { target: '/v2/_catalog?last=r%2Frepo77&n=100', rels: ['next'] },
    ]);
  });

  it('parses several links, unquoted rel and multi-valued rel', () => {
    expect(parseLinkHeader('<https://r/v2/a?x=1,2>; rel=prev, <https://r/v2/b>; title="a, b"; rel="next last"')).toEqual([
      { target: 'https://r/v2/a?x=1,2', rels: ['prev'] },
      { target: 'https://r/v2/b', rels: ['next', 'last'] },
    ]);
  });

  it('returns nothing for junk', () => {
    expect(parseLinkHeader('')).toEqual([]);
    expect(parseLinkHeader('no brackets; rel=next')).toEqual([]);
    expect(parseLinkHeader('<unterminated; rel=next')).toEqual([]);
  });
});

describe('nextPageUrl', () => {
  it('resolves a relative next link against the request URL', () => {
    expect(nextPageUrl('</v2/_catalog?last=b&n=2>; rel="next"', 'http://127.0.0.1:5000/v2/_catalog?n=2')).toBe(
      'http://127.0.0.1:5000/v2/_catalog?last=b&n=2',
    );
  });
  it('ignores links that are not next', () => {
    expect(nextPageUrl('</v2/x>; rel="prev"', 'http://r/v2/')).toBeNull();
    expect(nextPageUrl(undefined, 'http://r/v2/')).toBeNull();
  });
});

/** A page source over a fixed list of pages keyed by URL. */
function pagesFrom(pages: Record<string, Page>): { fetchPage: (url: string) => Promise<Page>; calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    fetchPage: async (url) => {
      calls.push(url);
      const page = pages[url];
      if (!page) throw new Error(`unexpected ${url}`);
      return page;
    },
  };
}

describe('collectPages', () => {
  it('follows next links to the end', async () => {
    const src = pagesFrom({
      p1: { items: ['a', 'b'], next: 'p2' },
      p2: { items: ['c', 'd'], next: 'p3' },
      p3: { items: ['e'], next: null },
    });
    expect(await collectPages('p1', src.fetchPage)).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(src.calls).toEqual(['p1', 'p2', 'p3']);
  });

  it('takes a page larger than asked (server ignored n) as the whole listing', async () => {
    const src = pagesFrom({ p1: { items: ['a', 'b', 'c', 'd', 'e'], next: null } });
    expect(await collectPages('p1', src.fetchPage)).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(src.calls).toHaveLength(1);
  });

  it('stops on a next link already visited', async () => {
    const src = pagesFrom({ p1: { items: ['a'], next: 'p2' }, p2: { items: ['b'], next: 'p1' } });
    expect(await collectPages('p1', src.fetchPage)).toEqual(['a', 'b']);
    expect(src.calls).toEqual(['p1', 'p2']);
  });

  it('stops when a page repeats what was already seen (server ignores last)', async () => {
    const src = pagesFrom({ p1: { items: ['a', 'b'], next: 'p2' }, p2: { items: ['a', 'b'], next: 'p3' }, p3: { items: ['x'], next: null } });
    expect(await collectPages('p1', src.fetchPage)).toEqual(['a', 'b']);
    expect(src.calls).toEqual(['p1', 'p2']);
  });

  it('stops on an empty page that still has a next link', async () => {
    const src = pagesFrom({ p1: { items: ['a'], next: 'p2' }, p2: { items: [], next: 'p3' } });
    expect(await collectPages('p1', src.fetchPage)).toEqual(['a']);
  });
});
