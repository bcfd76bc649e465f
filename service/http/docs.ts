import send from 'koa-send';
// The package's main entry loads the whole browser bundle into Node; only its folder is needed here.
import getAbsoluteFSPath from 'swagger-ui-dist/absolute-path.js';
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

// The files Swagger UI's page loads (index.html names them), and its OAuth2 redirect page; the rest of the
// package (its package.json, README, source maps, the Node entry) is not ours to publish.
const ASSETS = [
  'index.css',
  'swagger-ui.css',
  'swagger-ui-bundle.js',
  'swagger-ui-standalone-preset.js',
  'favicon-16x16.png',
  'favicon-32x32.png',
  'oauth2-redirect.html',
  'oauth2-redirect.js',
];

/**
 * Swagger UI at /docs/ (served from swagger-ui-dist, no CDN) and the spec itself at /openapi.yaml. Each file is
 * a route of its own, so the router's 404 and 405 hold for the docs as for the API: a file that is not there
 * is a 404 whatever the method, one that is there takes GET and HEAD.
 */
export function docsRoutes(specYaml: string): Route[] {
  const root = getAbsoluteFSPath();
  const serve =
    (file: string): StateMiddleware =>
    async (ctx) => {
      await send(ctx, file, { root });
    };
  const index = serve('index.html');

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
      run: (ctx, next) => (ctx.path === PREFIX ? ctx.redirect(`${PREFIX}/`) : index(ctx, next)),
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
    ...['index.html', ...ASSETS].map((file) => ({
      method: 'GET',
      path: `${PREFIX}/${file}`,
      label: 'docs',
      run: serve(file),
    })),
  ];
}
