/**
 * Whether an `If-None-Match` header matches the entity tag, by the weak comparison RFC 9110 (13.1.2) asks for:
 * `*`, or any listed tag equal to it once `W/` is set aside. Koa's `ctx.fresh` also answers "not fresh" when the
 * request says `Cache-Control: no-cache`, which browsers' fetch() adds to every revalidation; RFC 9110 has the
 * origin evaluate the condition anyway, and a message behind a digest never changes.
 */
export function ifNoneMatchMatches(header: string, etag: string): boolean {
  if (header.trim() === '*') return true;
  return header.split(',').some((tag) => {
    const trimmed = tag.trim();
    return (trimmed.startsWith('W/') ? trimmed.slice(2) : trimmed) === etag;
  });
}
