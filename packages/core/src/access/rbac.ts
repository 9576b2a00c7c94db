import { POSSESSIONS, VERBS, type GrantInput } from './policy.js';

/**
 * The RBAC config of seed 000 (`context/configs` key `RBAC`): per domain, roles name permission
 * bundles, bundles name grants. A grant name is `<verb>[_<possession>]_<service>_<collection>`,
 * as in `create_own_career_businesses` → `{action: 'create:own', object: 'career:businesses'}`;
 * `manage` is every verb, and a collection of `all` is every collection of the service.
 */
export interface RbacEntry {
  domain: string;
  roles: Record<string, string[]>;
  permissions?: Record<string, string[]>;
}

export interface ExpandedGrant extends GrantInput {
  source: string;
}

export interface RbacExpansion {
  grants: ExpandedGrant[];
  /** Names that are not grants (an unknown verb, say), with the reason: shown by /auth/can explanations. */
  skipped: { name: string; reason: string }[];
}

const WORD = /^[a-z][a-z0-9]*$/;

/** Reads one grant name; undefined with a reason when it is not one. */
export function grantFromName(name: string): { action: string; object: string } | string {
  const words = name.split('_');
  const verb = words.shift() ?? '';
  const action = verb === 'manage' ? 'any' : verb;
  if (action !== 'any' && !VERBS.includes(action as never)) return `verb ${JSON.stringify(verb)} is not create, read, update, delete or manage`;
  const possession = POSSESSIONS.includes(words[0] as never) ? words.shift()! : undefined;
  if (words.length < 2 || !words.every((w) => WORD.test(w))) return 'expected <verb>[_<possession>]_<service>_<collection>';
  const [service, ...collection] = words;
  return { action: possession ? `${action}:${possession}` : action, object: `${service}:${collection.join('_')}` };
}

function isEntry(value: unknown): value is RbacEntry {
  const entry = value as RbacEntry;
  return typeof entry === 'object' && entry !== null && typeof entry.domain === 'string' && typeof entry.roles === 'object' && entry.roles !== null;
}

/**
 * Expands the RBAC entries of a tenant into grants, one per (role, grant name). A role may also
 * name grants directly, without a bundle. Subjects become `role@<entry domain>`.
 */
export function expandRbac(value: unknown): RbacExpansion {
  const out: RbacExpansion = { grants: [], skipped: [] };
  const entries = Array.isArray(value) ? value : [value];
  for (const entry of entries) {
    if (!isEntry(entry)) {
      out.skipped.push({ name: JSON.stringify(entry)?.slice(0, 80) ?? 'undefined', reason: 'an RBAC entry is {domain, roles, permissions}' });
      continue;
    }
    for (const [role, bundles] of Object.entries(entry.roles)) {
      for (const bundle of Array.isArray(bundles) ? bundles : []) {
        const names = entry.permissions?.[bundle] ?? [bundle];
        for (const name of Array.isArray(names) ? names : []) {
          const grant = typeof name === 'string' ? grantFromName(name) : 'not a string';
          if (typeof grant === 'string') out.skipped.push({ name: String(name), reason: grant });
          else out.grants.push({ subject: `${role}@${entry.domain}`, ...grant, source: `rbac:${role}/${bundle}/${name}` });
        }
      }
    }
  }
  return out;
}
