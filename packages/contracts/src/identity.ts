/** Readable fields of an OAuth client (`domain/clients`), shared by the server and the SDK. */
export interface ClientFields {
  name: string;
  domain?: string;
  grant_types?: string[];
  scopes?: string[];
  redirect_uris?: string[];
  access_token_ttl?: number;
  refresh_token_ttl?: number;
  whitelist?: string[];
  coworkers?: string[];
  plan?: string;
  status?: 'active' | 'inactive' | 'suspended';
}
