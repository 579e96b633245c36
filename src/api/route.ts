import type { Context } from 'hono';
import type { z } from 'zod';
import type { AppEnv } from '../http.ts';
import type { ApiCaller } from './tokens.ts';

/** One answer of a route: JSON (serialized here) or text with its own media type. */
export interface ApiAnswer {
  status: number;
  json?: unknown;
  text?: { body: string; contentType: string };
  headers?: Record<string, string>;
}

/** What a route's handler gets: the validated parts of the request and who sent it. */
export interface ApiRequest<P, Q, B> {
  c: Context<AppEnv>;
  caller: ApiCaller;
  lang: string;
  params: P;
  query: Q;
  body: B;
  /** The command receipt key of a POST sent with an Idempotency-Key (see idempotency.ts). */
  receiptKey: string | undefined;
}

/** A documented response: its description and, for JSON, its schema; `markdown` also answers text/markdown. */
export interface ResponseSpec {
  description: string;
  schema?: z.ZodType;
  markdown?: boolean;
  headers?: Record<string, string>;
}

/**
 * One route of the API, both what serves it and what documents it: the request schemas
 * validate each request and are the OpenAPI document's schemas, so neither can drift.
 */
export interface RouteSpec<P extends z.ZodObject = z.ZodObject, Q extends z.ZodObject = z.ZodObject, B extends z.ZodType = z.ZodType> {
  method: 'get' | 'post';
  /** OpenAPI form, below /api/v1: `/incidents/{number}`. */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  /** False for the one public route (the document itself); every other needs a token. */
  authenticated?: boolean;
  params?: P;
  query?: Q;
  body?: B;
  /** Takes an Idempotency-Key. */
  idempotent?: boolean;
  responses: Record<number, ResponseSpec>;
  handle(request: ApiRequest<z.output<P>, z.output<Q>, z.output<B>>): Promise<ApiAnswer>;
}

/** Keeps a spec's own types while listing it among others. */
export function route<P extends z.ZodObject, Q extends z.ZodObject, B extends z.ZodType>(spec: RouteSpec<P, Q, B>): RouteSpec {
  return spec as unknown as RouteSpec;
}
