import type { BootstrapResult, Config } from '@stratum/core';

/** What `npm start` prints: where Stratum listens and exactly how to sign in. */
export function startBanner(config: Config, boot: BootstrapResult, url: string): string {
  const where = config.databaseUrl ? 'PostgreSQL (DATABASE_URL)' : `embedded PostgreSQL in ${config.embeddedDataDir}`;
  const password = boot.created?.adminPassword;
  const lines = [
    `Stratum is listening on ${url}`,
    `  database:  ${where}`,
    `  API docs:  ${url}/api   health: ${url}/status`,
    `  tenant:    ${boot.tenant}   root client_id: ${boot.clientId}`,
  ];
  if (boot.created) {
    lines.push(`  admin:     ${boot.adminEmail}   password: ${boot.created.generatedPassword ? `${password}  (generated; shown once, store it now)` : '(from STRATUM_ADMIN_PASSWORD)'}`);
    lines.push(`  client secret of the root client (shown once): ${boot.created.clientSecret}`);
  } else {
    lines.push(`  admin:     ${boot.adminEmail} (password as printed on the first start, or STRATUM_ADMIN_PASSWORD)`);
  }
  if (config.authProvider === 'oidc' && config.auth.oidc) {
    lines.push(`  AUTH_PROVIDER=oidc: only access tokens of ${config.auth.oidc.issuer} for ${config.auth.oidc.audience} are accepted`);
    lines.push(`    curl -s ${url}/me -H "Authorization: Bearer $PROVIDER_ACCESS_TOKEN"`);
    return lines.join('\n');
  }
  lines.push('  sign in:');
  lines.push(`    curl -s -X POST ${url}/auth/token -H 'content-type: application/json' \\`);
  lines.push(`      -d '{"grant_type":"password","username":"${boot.adminEmail}","password":"${password && boot.created?.generatedPassword ? password : '<password>'}"}'`);
  if (config.authProvider === 'none') {
    lines.push('  AUTH_PROVIDER=none: requests without a token act as the local developer (development only)');
    lines.push(`    curl -s ${url}/identity/users`);
  } else {
    lines.push(`    curl -s ${url}/identity/users -H "Authorization: Bearer $TOKEN"`);
  }
  return lines.join('\n');
}
