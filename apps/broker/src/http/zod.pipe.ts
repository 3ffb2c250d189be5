import type { PipeTransform } from '@nestjs/common';
import type { ZodType } from 'zod';
import { invalidRequest } from '#domain';

/** Validates a body or query against a strict zod schema: unknown fields are failing fields. */
export class ZodPipe<T> implements PipeTransform<unknown, T> {
  constructor(private readonly schema: ZodType<T>) {}

  transform(value: unknown): T {
    const result = this.schema.safeParse(value ?? {});
    if (result.success) return result.data;
    throw invalidRequest(
      result.error.issues.map((issue) => ({
        field:
          issue.path.length > 0
            ? issue.path.join('.')
            : issue.code === 'unrecognized_keys'
              ? issue.keys.join(',')
              : 'body',
        message: issue.message,
      })),
    );
  }
}
