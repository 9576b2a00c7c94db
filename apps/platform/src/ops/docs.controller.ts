import { createReadStream, existsSync } from 'node:fs';
import { join } from 'node:path';
import { Controller, Get, Inject, Param, Res } from '@nestjs/common';
import { ErrorCode } from '@stratum/contracts';
import { CollectionRegistry, DomainError, type Config } from '@stratum/core';
import type { FastifyReply } from 'fastify';
import { getAbsoluteFSPath } from 'swagger-ui-dist';
import { Public } from '../auth/public.decorator.js';
import { CONFIG } from '../tokens.js';
import { buildOpenApi } from './openapi.js';

const ASSETS = new Set(['swagger-ui.css', 'swagger-ui-bundle.js', 'swagger-ui-standalone-preset.js', 'favicon-32x32.png']);
const TYPES: Record<string, string> = { css: 'text/css', js: 'application/javascript', png: 'image/png' };

const PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>Stratum API</title><link rel="stylesheet" href="/api/swagger-ui.css"></head>
<body><div id="ui"></div><script src="/api/swagger-ui-bundle.js"></script>
<script>window.ui = SwaggerUIBundle({ url: '/api-json', dom_id: '#ui' });</script></body></html>`;

/** OpenAPI document and its UI, served from local files: no network needed. */
@Controller()
export class DocsController {
  private document?: unknown;

  constructor(
    private readonly registry: CollectionRegistry,
    @Inject(CONFIG) private readonly config: Config,
  ) {}

  @Public()
  @Get('api-json')
  openapi() {
    this.document ??= buildOpenApi(this.registry, `http://localhost:${this.config.port}`);
    return this.document;
  }

  @Public()
  @Get('api')
  page(@Res({ passthrough: true }) reply: FastifyReply) {
    reply.type('text/html; charset=utf-8');
    return PAGE;
  }

  @Public()
  @Get('api/:asset')
  asset(@Param('asset') asset: string, @Res({ passthrough: true }) reply: FastifyReply) {
    const file = join(getAbsoluteFSPath(), asset);
    if (!ASSETS.has(asset) || !existsSync(file)) throw new DomainError(ErrorCode.ROUTE_NOT_FOUND, `No such asset ${asset}`);
    reply.type(TYPES[asset.split('.').pop() ?? ''] ?? 'application/octet-stream');
    reply.header('cache-control', 'public, max-age=86400');
    return createReadStream(file);
  }
}
