import * as generated from './generated/validators.js';
import type { RequestName, RequestParams, RequestResult, ServerEventName, ServerEventPayload } from './registry.js';
import { createValidate, type Validation, type ValidatorTable } from './validate.js';
import { Requests, ServerEvents } from './wire-names.js';

/**
 * The validators precompiled by `npm run gen` (Ajv standalone code): no schema compilation and no
 * `new Function` at import time, so this works under a strict Content-Security-Policy. The type
 * annotation fails to compile when a registry schema has no generated validator (run `npm run gen`).
 */
export const precompiledValidators: ValidatorTable = generated;

/** Validate any registry message by schema name. */
export const validate = createValidate(precompiledValidators);

/** Validate the params of a request by its wire name (what a gateway's ingress checks). */
export function validateRequestParams<E extends RequestName>(event: E, params: unknown): Validation<RequestParams<E>> {
  return validate(Requests[event].params, params) as Validation<RequestParams<E>>;
}

/** Validate the acknowledgement of a request by its wire name (what a client or a test harness checks). */
export function validateRequestResult<E extends RequestName>(event: E, result: unknown): Validation<RequestResult<E>> {
  return validate(Requests[event].result, result) as Validation<RequestResult<E>>;
}

/** Validate the payload of a server event by its wire name. */
export function validateServerEvent<E extends ServerEventName>(event: E, payload: unknown): Validation<ServerEventPayload<E>> {
  return validate(ServerEvents[event].payload, payload) as Validation<ServerEventPayload<E>>;
}
