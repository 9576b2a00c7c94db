import { ErrorCode } from '@stratum/contracts';
import type { TenantResolutionConfig } from '../config.js';
import type { TenantId } from '../context.js';
import { DomainError } from '../errors.js';
import type { TenantDirectory } from './tenants.js';

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * Finds a request's tenant before authentication (seed 004 `TENANT_RESOLUTION_MODE`); the
 * credentials must then belong to it (403 otherwise). `token` resolves nothing up front: the
 * credentials' own tenant is the request's.
 */
export class TenantResolver {
  constructor(private readonly config: TenantResolutionConfig, private readonly tenants: TenantDirectory, private readonly rootDomain: string) {}

  get mode(): TenantResolutionConfig['mode'] {
    return this.config.mode;
  }

  async resolve(request: { host?: string; domainHeader?: string }): Promise<TenantId | undefined> {
    switch (this.config.mode) {
      case 'token':
        return undefined;
      case 'header':
        if (!request.domainHeader) throw new DomainError(ErrorCode.BAD_REQUEST, 'x-domain is required: this deployment finds the tenant by the x-domain header');
        return this.find(request.domainHeader);
      case 'fixed':
        return this.find(this.config.fixedTenant!);
      case 'subdomain':
        return this.find(this.fromHost(request.host));
    }
  }

  /** `acme.example.com` → `acme`; the apex and local hosts → the root tenant. */
  private fromHost(host: string | undefined): string {
    const name = (host ?? '').toLowerCase().replace(/:\d+$/, '');
    const base = this.config.baseDomain!;
    if (name === base || LOCAL_HOSTS.has(name)) return this.rootDomain;
    if (name.endsWith(`.${base}`)) return name.slice(0, -(base.length + 1));
    throw new DomainError(ErrorCode.NOT_FOUND, `host ${JSON.stringify(name)} is not ${base} or one of its subdomains`);
  }

  private async find(name: string): Promise<TenantId> {
    const tenant = await this.tenants.resolve(name);
    if (!tenant) throw new DomainError(ErrorCode.NOT_FOUND, `there is no tenant ${JSON.stringify(name)}`);
    return tenant.id;
  }
}
