import { isHttpError } from 'http-errors';
import send from 'koa-send';
// The package's main entry loads the whole browser bundle into Node; only its folder is needed here.
import getAbsoluteFSPath from 'swagger-ui-dist/absolute-path.js';
import { noEndpoint } from './errors.js';
import type { StateMiddleware } from './request-state.js';
import type { Route } from './router.js';

// Replaces swagger-ui-dist's own initializer, which points at the petstore. Relative URLs keep the page
// working behind a path prefix.
const INITIALIZER = `window.onload = function () {
  window.ui = SwaggerUIBundle({
    url: '../openapi.yaml',
    dom_id: '#swagger-ui',
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: 'BaseLayout',
  });
};
`;

const PREFIX = '/docs';

/** Swagger UI at /docs/ (served from swagger-ui-dist, no CDN) and the spec itself at /openapi.yaml. */
export function docsRoutes(specYaml: string): Route[] {
  const root = getAbsoluteFSPath();

  const serveAsset: StateMiddleware = async (ctx) => {
    let served: string | undefined;
    try {
      served = await send(ctx, ctx.path.slice(PREFIX.length), { root, index: 'index.html' });
    } catch (error) {
      // koa-send answers 400/403 to odd paths (../ and the like) and 404 to missing files; to a client, all
      // are paths we lack.
      throw isHttpError(error) && error.status < 500 ? noEndpoint() : error;
    }
    // A hidden file (.name) is left unserved without an error.
    if (!served) throw noEndpoint();
  };

  return [
    {
      method: 'GET',
      path: '/openapi.yaml',
      label: 'openapi',
      run(ctx) {
        ctx.type = 'application/yaml';
        ctx.body = specYaml;
      },
    },
    {
      method: 'GET',
      path: PREFIX,
      label: 'docs',
      // The router takes /docs and /docs/ for one path, but the page's relative URLs resolve only from /docs/.
      run: (ctx, next) => (ctx.path === PREFIX ? ctx.redirect(`${PREFIX}/`) : serveAsset(ctx, next)),
    },
    {
      method: 'GET',
      path: `${PREFIX}/swagger-initializer.js`,
      label: 'docs',
      run(ctx) {
        ctx.type = 'application/javascript';
        ctx.body = INITIALIZER;
      },
    },
    { method: 'GET', path: `${PREFIX}/*`, label: 'docs', run: serveAsset },
  ];
}
