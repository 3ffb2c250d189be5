import type { PipeTransform } from '@nestjs/common';
import { notFound } from '#domain';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** An id that is not a UUID cannot name anything: the same 404 as an id that names nothing visible. */
export class IdPipe implements PipeTransform<string, string> {
  constructor(private readonly what: string) {}

  transform(value: string): string {
    if (!UUID.test(value)) throw notFound(this.what);
    return value;
  }
}
