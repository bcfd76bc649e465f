import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ValidateFunction } from 'ajv';
import { OpenAPIBackend, ValidationContext } from 'openapi-backend';

/** openapi.yaml sits at the package root, two levels above this file in both service/ and dist/. */
export const SPEC_PATH = fileURLToPath(new URL('../../openapi.yaml', import.meta.url));

export interface ApiOperation {
  operationId: string;
  method: string;
  /** The path in the router's syntax (`/messages/:digest`). */
  path: string;
  body: BodySchema | undefined;
}

export interface BodySchema {
  mediaTypes: string[];
  /** Stops at the first problem, so that any body, however hostile, is judged in one pass. */
  validate: ValidateFunction;
  /** Finds every problem: for explaining a small body that `validate` refused. */
  explain: ValidateFunction;
  /** Top-level fields that are arrays (a batch's items), whose length is checked before anything else. */
  arrayFields: string[];
}

export interface ApiSpec {
  operations: ApiOperation[];
  /** The spec's text, as served at /openapi.yaml. */
  yaml: string;
}

/**
 * Loads and checks openapi.yaml with openapi-backend once, at start-up, and derives from it what each
 * request needs: routes and compiled body validators. Running openapi-backend's own per-request router and
 * validator would cost most of the throughput (DESIGN.md, "Speed facts").
 */
export async function loadSpec(): Promise<ApiSpec> {
  const api = new OpenAPIBackend({ definition: SPEC_PATH, strict: true });
  await api.init();
  const firstError = api.validator.getAjv(ValidationContext.RequestBody, { allErrors: false });
  const allErrors = api.validator.getAjv(ValidationContext.RequestBody, { allErrors: true });
  const operations = api.getOperations().map((operation) => {
    if (!operation.operationId) throw new Error(`${operation.method} ${operation.path} has no operationId`);
    const content = (operation.requestBody as { content?: Record<string, { schema?: object }> } | undefined)
      ?.content;
    const schema = Object.values(content ?? {})[0]?.schema ?? {};
    return {
      operationId: operation.operationId,
      method: operation.method.toUpperCase(),
      path: operation.path.replace(/\{(\w+)\}/g, ':$1'),
      body: content
        ? {
            mediaTypes: Object.keys(content),
            validate: firstError.compile(schema),
            explain: allErrors.compile(schema),
            arrayFields: arrayFieldsOf(schema),
          }
        : undefined,
    };
  });
  return { operations, yaml: readFileSync(SPEC_PATH, 'utf8') };
}

function arrayFieldsOf(schema: { properties?: Record<string, { type?: string }> }): string[] {
  return Object.entries(schema.properties ?? {})
    .filter(([, property]) => property.type === 'array')
    .map(([name]) => name);
}
