/**
 * Errors of the HTTP API in Airflow's problem+json shape (RFC 7807: `type`, `title`, `status`, `detail`), as
 * Airflow's connexion app writes them. A bad parameter or body names the field in `detail`.
 */
import type { FastifyReply } from 'fastify';
import type { ZodError } from 'zod';

/** Titles Airflow uses per status. */
const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** An error the API answers with `status` and a problem document. */
export class ApiError extends Error {
  constructor(readonly status: number, readonly detail: string) {
    super(detail);
  }
}

/** A problem document. */
export function problem(status: number, detail: string): Record<string, unknown> {
  const title = TITLES[status] ?? 'Error';
  return { type: `https://airflow.apache.org/docs/apache-airflow/2.10.5/stable-rest-api-ref.html#section/Errors/${title.replaceAll(' ', '')}`, title, status, detail };
}

/** Sends a problem document. */
export function sendProblem(reply: FastifyReply, status: number, detail: string): FastifyReply {
  return reply.code(status).type('application/problem+json').send(problem(status, detail));
}

/** "field: message; field: message" from a zod error, each field by its path in the request (`query.limit`). */
export function describeZodError(where: string, error: ZodError): string {
  return error.issues
    .map((issue) => `${[where, ...issue.path].join('.')}: ${issue.message}`)
    .join('; ');
}
