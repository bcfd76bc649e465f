/**
 * The answers nginx writes itself (the service's own errors pass through untouched: no
 * proxy_intercept_errors), in the service's JSON shape, so a client always finds {"err_msg": ...}:
 * [nginx's status, the status sent, err_msg]. A client's mistake always gets a 4xx, so nginx's 5xx for
 * a request it cannot parse become 4xx; its 494 and 497 are nginx-only codes, sent as 400 by default.
 * 408 is missing on purpose: nginx never answers a request that timed out, it closes the connection.
 */
const OWN_ERRORS: [number, number, string][] = [
  [400, 400, 'Bad request'],
  // Only the proxy's own error locations below: every other path goes to a replica.
  [404, 404, 'Not found'],
  // TRACE, which nginx refuses whatever the path.
  [405, 405, 'Method not allowed'],
  [413, 413, 'Request body is larger than the limit of {limit} bytes'],
  [414, 414, 'The request URI is too long'],
  [429, 429, 'Too many connections from this address; retry shortly'],
  [494, 431, 'The request headers are too large'],
  [497, 400, 'Plain HTTP was sent to the HTTPS port'],
  [500, 500, 'Internal server error'],
  // nginx's answer to a Transfer-Encoding other than chunked; the service answers 415 for the same.
  [501, 415, 'Transfer-Encoding other than chunked is not supported'],
  [502, 502, 'No API replica could answer; retry shortly'],
  [503, 503, 'The service is unavailable right now; retry shortly'],
  [504, 504, 'The API replica took too long to answer; retry shortly'],
  [505, 400, 'The HTTP version is not supported'],
];

// What a client may retry after a moment: too many connections, or no replica answering.
const RETRY_LATER = new Set([429, 502, 503, 504]);

/**
 * `error_page` directives and their locations, for a server block. Each points to an internal URI, not a
 * named location: nginx refuses to jump to a named location while the URI is still empty ("empty URI in
 * redirect to named location", answered as 500 HTML), which is the case for every error in the request line.
 * `headers` are add_header lines the answers carry (add_header in a location replaces the server's).
 */
export function errorPages(maxBodyBytes: number, headers: string[]): string {
  return OWN_ERRORS.map(([status, sent, text]) => {
    const body = JSON.stringify({ err_msg: text.replace('{limit}', String(maxBodyBytes)) });
    const all = [...headers, 'add_header X-Request-Id $req_id always;'];
    if (RETRY_LATER.has(sent)) all.push('add_header Retry-After 1 always;');
    return `
    error_page ${status} =${sent} /__errors/${status};
    location = /__errors/${status} {
      internal;
      # No body limit here: nginx 1.22 checks a request's Content-Length again in the location it jumps
      # to, and with a chunked body it has not started discarding, the 413 repeats and falls back to HTML.
      client_max_body_size 0;
      default_type application/json;
      ${all.join('\n      ')}
      return ${sent} '${body}\\n';
    }`;
  }).join('\n');
}
