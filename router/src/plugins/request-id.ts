import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';

const ACCEPTABLE = /^[A-Za-z0-9._-]{8,64}$/;
const current = new AsyncLocalStorage<string>();

/** The id of the request being served, wherever the code runs on its behalf (e.g. error formatting). */
export const currentRequestId = (): string | undefined => current.getStore();

/** Gives every request an id (the client's, when it sent a sane one) and echoes it back. */
export function requestId() {
  return (req: Request, res: Response, next: NextFunction): void => {
    const incoming = req.header('x-request-id');
    const id = incoming && ACCEPTABLE.test(incoming) ? incoming : randomUUID();
    res.locals.requestId = id;
    res.setHeader('x-request-id', id);
    current.run(id, next);
  };
}
