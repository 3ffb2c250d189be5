import type { PipeTransform } from '@nestjs/common';
import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { z } from 'zod';
import { ServiceAccounts } from '#access';
import type { ServiceAccountView, ServiceAccountWithKey } from '#access';
import { SERVICE_ACCOUNT_NAME, formatDuration, notFound, parseDuration } from '#domain';
import type { AuthenticatedPrincipal } from '#identity';
import { decodeCursor } from '#persistence';
import { CurrentPrincipal } from '../http/principal.decorator.js';
import { ZodPipe } from '../http/zod.pipe.js';

const MIN_KEY_LIFETIME = 60;
const MAX_KEY_LIFETIME = 365 * 86400;

/** `keyExpiresIn`: the API's duration forms, in seconds, between a minute and a year. */
const keyLifetime = z
  .union([z.string().min(1).max(32), z.number().int().positive()])
  .transform((value, ctx) => {
    const seconds = parseDuration(value);
    if (seconds === undefined || seconds < MIN_KEY_LIFETIME || seconds > MAX_KEY_LIFETIME) {
      const range = `${formatDuration(MIN_KEY_LIFETIME)} and ${formatDuration(MAX_KEY_LIFETIME)}`;
      ctx.addIssue({ code: 'custom', message: `a duration between ${range}` });
      return z.NEVER;
    }
    return seconds;
  });

export const createBody = z
  .object({
    name: z.string().regex(SERVICE_ACCOUNT_NAME, 'lower-case letters, digits and -, at most 63'),
    owner: z
      .string()
      .min(3)
      .max(512)
      .regex(/^[^:\s]+:\S+$/, 'must look like <issuer>:<sub>'),
    description: z.string().min(1).max(1000).optional(),
    groups: z.array(z.string().min(1).max(256)).max(50).optional(),
    keyExpiresIn: keyLifetime.optional(),
  })
  .strict();

export const rotateBody = z.object({ keyExpiresIn: keyLifetime.optional() }).strict();

export const listQuery = z
  .object({
    cursor: z
      .string()
      .min(1)
      .max(200)
      .refine((value) => decodeCursor(value) !== undefined, 'not a cursor from a previous page')
      .optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
  })
  .strict();

/** A name that no service account could have names nothing: 404, as for an unknown one. */
class NamePipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (!SERVICE_ACCOUNT_NAME.test(value)) throw notFound('service account');
    return value;
  }
}

@Controller('v1/service-accounts')
export class ServiceAccountsController {
  constructor(private readonly accounts: ServiceAccounts) {}

  @Post()
  create(
    @CurrentPrincipal() principal: AuthenticatedPrincipal,
    @Body(new ZodPipe(createBody)) body: z.output<typeof createBody>,
  ): Promise<ServiceAccountWithKey> {
    return this.accounts.create(principal, body);
  }

  @Get()
  list(
    @CurrentPrincipal() principal: AuthenticatedPrincipal,
    @Query(new ZodPipe(listQuery)) query: z.output<typeof listQuery>,
  ): Promise<{ items: ServiceAccountView[]; nextCursor?: string }> {
    return this.accounts.list(principal, query);
  }

  @Get(':name')
  get(
    @CurrentPrincipal() principal: AuthenticatedPrincipal,
    @Param('name', NamePipe) name: string,
  ): Promise<ServiceAccountView> {
    return this.accounts.get(principal, name);
  }

  @Post(':name/rotate')
  @HttpCode(200)
  rotate(
    @CurrentPrincipal() principal: AuthenticatedPrincipal,
    @Param('name', NamePipe) name: string,
    @Body(new ZodPipe(rotateBody)) body: z.output<typeof rotateBody>,
  ): Promise<ServiceAccountWithKey> {
    return this.accounts.rotate(principal, name, body);
  }

  @Post(':name/disable')
  @HttpCode(200)
  disable(
    @CurrentPrincipal() principal: AuthenticatedPrincipal,
    @Param('name', NamePipe) name: string,
    @Body(new ZodPipe(z.object({}).strict())) _body: object,
  ): Promise<ServiceAccountView> {
    return this.accounts.disable(principal, name);
  }
}
