import type { PipeTransform } from '@nestjs/common';
import { DomainError } from '#domain';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** An id that is not a UUID cannot name anything: the same 404 as an id that names nothing visible. */
export class IdPipe implements PipeTransform<string, string> {
  constructor(private readonly what: string) {}

  transform(value: string): string {
    if (!UUID.test(value)) throw new DomainError('not_found', `${this.what} not found`);
    return value;
  }
}
