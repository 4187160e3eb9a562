/** Reading and validating request bodies and queries with zod, with clear 400/415 errors. */
import type { Context } from 'hono';
import type { z } from 'zod';
import { HttpError, invalidInput } from './errors.js';

/** State-changing requests must be JSON: anything else is 415 (also a CSRF guard for form posts). */
export async function jsonBody<S extends z.ZodType>(c: Context, schema: S): Promise<z.infer<S>> {
  const type = c.req.header('content-type') ?? '';
  if (!/^application\/json\b/i.test(type)) {
    throw new HttpError(415, 'unsupported_media_type', 'send the body as JSON with Content-Type: application/json');
  }
  let raw: unknown;
  try {
    raw = await c.req.json();
  } catch {
    throw new HttpError(400, 'bad_json', 'the request body is not valid JSON');
  }
  const result = schema.safeParse(raw);
  if (!result.success) throw invalidInput(result.error, 'body');
  return result.data;
}

export function queryParams<S extends z.ZodType>(c: Context, schema: S): z.infer<S> {
  const result = schema.safeParse(c.req.query());
  if (!result.success) throw invalidInput(result.error, 'query');
  return result.data;
}
