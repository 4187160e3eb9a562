/**
 * Errors the services raise for the API to turn into `{error: {code, message}}`
 * with the right status. Services do not know about HTTP; the code carries the
 * meaning and hub/api/errors.ts maps it to a status.
 */
export type DomainErrorCode = 'not_found' | 'conflict' | 'invalid' | 'forbidden' | 'unavailable';

export class DomainError extends Error {
  constructor(
    readonly code: DomainErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export const notFound = (what: string, id: string) => new DomainError('not_found', `${what} ${id} does not exist`);
export const conflict = (message: string) => new DomainError('conflict', message);
