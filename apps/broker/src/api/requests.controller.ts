import { Body, Controller, Get, Header, HttpCode, Param, Post, Query } from '@nestjs/common';
import {
  ApproverLinks,
  CancelRequest,
  CreateRequest,
  DecideRequest,
  ExportEvidence,
  MintCredential,
  AccessQueries,
} from '#access';
import type { ExtendedCredential, MintedCredential, ListPage, RequestView } from '#access';
import { invalidRequest, parseDuration } from '#domain';
import type { AuthenticatedPrincipal } from '#identity';
import { IdPipe } from '../http/id.pipe.js';
import { CurrentPrincipal } from '../http/principal.decorator.js';
import { ZodPipe } from '../http/zod.pipe.js';
import { checkedSshPublicKey } from './ssh-public-key-field.js';
import type { CreateRequestBody, MintBody, RequestListQuery } from './schemas.js';
import {
  approveBody,
  createRequestBody,
  denyBody,
  emptyBody,
  mintBody,
  requestListQuery,
} from './schemas.js';

const requestId = new IdPipe('request');

/** A body's `duration` in seconds (docs/api.md §4 forms), or a 400 naming the field. */
export function durationSeconds(value: CreateRequestBody['duration']): number | undefined {
  if (value === undefined) return undefined;
  const seconds = parseDuration(value);
  if (seconds === undefined)
    throw invalidRequest([
      { field: 'duration', message: 'use 90s, 15m, 1h, 1d, PT15M or seconds' },
    ]);
  return seconds;
}

@Controller('v1/requests')
export class RequestsController {
  constructor(
    private readonly createRequest: CreateRequest,
    private readonly decideRequest: DecideRequest,
    private readonly cancelRequest: CancelRequest,
    private readonly mintCredential: MintCredential,
    private readonly queries: AccessQueries,
    private readonly links: ApproverLinks,
    private readonly exportEvidence: ExportEvidence,
  ) {}

  @Post()
  create(
    @CurrentPrincipal() principal: AuthenticatedPrincipal,
    @Body(new ZodPipe(createRequestBody)) body: CreateRequestBody,
  ): Promise<RequestView> {
    return this.createRequest.execute(principal, {
      ...body,
      durationSeconds: durationSeconds(body.duration),
    });
  }

  @Get()
  list(
    @CurrentPrincipal() principal: AuthenticatedPrincipal,
    @Query(new ZodPipe(requestListQuery)) query: RequestListQuery,
  ): Promise<ListPage<RequestView>> {
    return this.queries
      .requestList(principal, query)
      .then((page) => this.links.page(principal, page));
  }

  @Get(':id')
  get(
    @CurrentPrincipal() principal: AuthenticatedPrincipal,
    @Param('id', requestId) id: string,
  ): Promise<RequestView> {
    return this.queries.request(principal, id).then((view) => this.links.one(principal, view));
  }

  /** The sealed evidence bundle (libs/evidence), canonical JSON: served byte for byte. */
  @Get(':id/evidence')
  @Header('Content-Type', 'application/json; charset=utf-8')
  @Header('Cache-Control', 'no-store')
  evidence(
    @CurrentPrincipal() principal: AuthenticatedPrincipal,
    @Param('id', requestId) id: string,
  ): Promise<string> {
    return this.exportEvidence.export(principal, id);
  }

  @Post(':id/approve')
  @HttpCode(200)
  approve(
    @CurrentPrincipal() principal: AuthenticatedPrincipal,
    @Param('id', requestId) id: string,
    @Body(new ZodPipe(approveBody)) body: { comment?: string },
  ): Promise<RequestView> {
    return this.decideRequest
      .approve(principal, id, body.comment)
      .then((view) => this.links.one(principal, view));
  }

  @Post(':id/deny')
  @HttpCode(200)
  deny(
    @CurrentPrincipal() principal: AuthenticatedPrincipal,
    @Param('id', requestId) id: string,
    @Body(new ZodPipe(denyBody)) body: { reason: string },
  ): Promise<RequestView> {
    return this.decideRequest
      .deny(principal, id, body.reason)
      .then((view) => this.links.one(principal, view));
  }

  @Post(':id/cancel')
  @HttpCode(200)
  cancel(
    @CurrentPrincipal() principal: AuthenticatedPrincipal,
    @Param('id', requestId) id: string,
    @Body(new ZodPipe(emptyBody)) _body: object,
  ): Promise<RequestView> {
    return this.cancelRequest.execute(principal, id);
  }

  @Post(':id/credentials')
  @HttpCode(201)
  credentials(
    @CurrentPrincipal() principal: AuthenticatedPrincipal,
    @Param('id', requestId) id: string,
    @Body(new ZodPipe(mintBody)) body: MintBody,
  ): Promise<MintedCredential | ExtendedCredential> {
    const sshPublicKey = checkedSshPublicKey(body.sshPublicKey);
    return this.mintCredential.execute(principal, id, { sshPublicKey });
  }
}
