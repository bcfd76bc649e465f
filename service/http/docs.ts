import Router from '@koa/router';
import { isHttpError } from 'http-errors';
import type Koa from 'koa';
import mount from 'koa-mount';
import serve from 'koa-static';
// The package's main entry loads the whole browser bundle into Node; only its folder is needed here.
import getAbsoluteFSPath from 'swagger-ui-dist/absolute-path.js';
import { noEndpoint } from './errors.js';

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

/** Swagger UI at /docs/ (served from swagger-ui-dist, no CDN) and the spec itself at /openapi.yaml. */
export function mountDocs(app: Koa, specYaml: string): void {
  const router = new Router({ strict: true });
  router.get('/openapi.yaml', (ctx) => {
    ctx.state.route = 'openapi';
    ctx.type = 'application/yaml';
    ctx.body = specYaml;
  });
  router.get('/docs', (ctx) => {
    ctx.state.route = 'docs';
    ctx.redirect('/docs/');
  });
  router.get('/docs/swagger-initializer.js', (ctx) => {
    ctx.state.route = 'docs';
    ctx.type = 'application/javascript';
    ctx.body = INITIALIZER;
  });
  const assets = serve(getAbsoluteFSPath(), { index: 'index.html' });
  app.use(router.routes());
  app.use(
    mount('/docs', async (ctx, next) => {
      ctx.state.route = 'docs';
      try {
        await assets(ctx, next);
      } catch (error) {
        // koa-send answers 400/403 to odd paths (../ and the like); to a client they are paths we lack.
        throw isHttpError(error) && error.status < 500 ? noEndpoint() : error;
      }
    }),
  );
}
