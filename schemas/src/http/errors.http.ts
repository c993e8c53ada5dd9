import { z } from 'zod';

/** One bad field: where it is (`body.apiKey`, `params.id`) and what to do about it. */
export const FieldIssue = z.strictObject({
  path: z.string(),
  message: z.string(),
});
export type FieldIssue = z.infer<typeof FieldIssue>;

/**
 * Every error answer: a stable `code` clients branch on, a message saying what to do, and
 * secret-free `details` (`issues` for validation). `requestId` ties it to the server's logs.
 */
export const ErrorResponse = z
  .strictObject({
    error: z.strictObject({
      code: z.string(),
      message: z.string(),
      details: z.record(z.string(), z.unknown()).optional(),
    }),
    requestId: z.string(),
  })
  .meta({ id: 'ErrorResponse' });
export type ErrorResponse = z.infer<typeof ErrorResponse>;
