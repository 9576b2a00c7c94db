import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SqlParams } from '../query/params.js';
import { cronMatches, parseCron } from './cron.js';
import { compilePolicy, decide, PolicyError, type AccessRequest, type GrantInput } from './policy.js';
import { expandRbac, grantFromName } from './rbac.js';
import { parseZones, resolveZones, zoneSql } from './zones.js';

const T = 'acme.test';
const at = (iso: string) => new Date(iso);
const request = (over: Partial<AccessRequest> = {}): AccessRequest => ({
  subjects: [`user@${T}`], verb: 'read', service: 'career', collection: 'businesses', now: at('2026-11-30T10:00:00Z'), ...over,
});

test('grants match by subject, verb and object; possessions, fields and the reason come from the matching ones', () => {
  const policies = [
    compilePolicy({ subject: 'user', action: 'read:own', object: 'career:businesses', filter: ['name', 'city'] }, T, 'g1'),
    compilePolicy({ subject: 'user', action: 'read:share', object: 'career:all', filter: ['name'] }, T, 'g2'),
    compilePolicy({ subject: 'admin', action: 'any', object: 'all' }, T, 'g3'),
    compilePolicy({ subject: 'user', action: 'update:own', object: 'career:businesses', field: ['city'] }, T, 'g4'),
  ];
  const read = decide(policies, request());
  assert.equal(read.can, true);
  assert.deepEqual([...read.possessions].sort(), ['own', 'share']);
  assert.deepEqual(read.matched.map((p) => p.filter), [['name', 'city'], ['name']], 'each matching grant keeps its own limit');
  assert.match(read.reason, /g1, g2/);
  const update = decide(policies, request({ verb: 'update' }));
  assert.deepEqual(update.matched.map((p) => p.field), [['city']]);
  const denied = decide(policies, request({ verb: 'delete' }));
  assert.equal(denied.can, false);
  assert.match(denied.reason, /no grant of user@acme.test allows delete on career:businesses/);
  assert.equal(decide(policies, request({ service: 'identity', collection: 'users' })).can, false, 'career:all does not reach identity');
  const admin = decide(policies, request({ subjects: [`admin@${T}`], verb: 'delete', service: 'identity', collection: 'users' }));
  assert.deepEqual([admin.can, [...admin.possessions], admin.matched[0].field, admin.matched[0].filter], [true, ['any'], undefined, undefined]);
  assert.equal(decide(policies, request({ subjects: [`user@other.test`] })).can, false, 'a role of another tenant is another subject');
});

test('location and time conditions: a grant holds only from its networks and in its windows', () => {
  const policies = [compilePolicy({ subject: 'user', action: 'read', object: 'all', location: ['10.0.0.0/8'], time: ['* 9-17 * * 1-5'] }, T, 'office')];
  assert.equal(decide(policies, request({ ip: '10.1.2.3' })).can, true);
  const outside = decide(policies, request({ ip: '192.0.2.1' }));
  assert.equal(outside.can, false);
  assert.match(outside.reason, /office \(location\)/);
  assert.match(decide(policies, request({ ip: '10.1.2.3', now: at('2026-11-29T10:00:00Z') })).reason, /office \(time\)/, 'a Sunday');
  assert.equal(decide(policies, request({ ip: '10.1.2.3', now: at('2026-11-30T18:00:00Z') })).can, false, 'after hours');
  assert.equal(decide(policies, request()).can, false, 'no IP known: a located grant does not hold');
});

test('invalid grants are refused with the reason', () => {
  const cases: [GrantInput, RegExp][] = [
    [{ subject: 'u', action: 'write', object: 'all' }, /verb must be/],
    [{ subject: 'u', action: 'read:mine', object: 'all' }, /possession must be/],
    [{ subject: 'u', action: 'read', object: 'Career:x' }, /object must be/],
    [{ subject: 'u', action: 'read', object: 'all', time: ['* 25 * * *'] }, /hour/],
  ];
  for (const [grant, message] of cases) {
    assert.throws(() => compilePolicy(grant, T, 'x'), (error: Error) => message.test(error.message) && (error instanceof PolicyError || /cron/.test(error.message)));
  }
});

test('cron windows: ranges, lists, steps, and Sunday as 0 or 7', () => {
  assert.equal(cronMatches(parseCron('*/15 * * * *'), at('2026-11-30T10:45:00Z')), true);
  assert.equal(cronMatches(parseCron('*/15 * * * *'), at('2026-11-30T10:44:00Z')), false);
  assert.equal(cronMatches(parseCron('0 0 1,15 * *'), at('2026-11-15T00:00:00Z')), true);
  assert.equal(cronMatches(parseCron('* * * * 7'), at('2026-11-29T03:00:00Z')), true);
  assert.throws(() => parseCron('* * *'), /five fields/);
});

test('the RBAC config of seed 000 expands into grants; names that are not grants are reported', () => {
  assert.deepEqual(grantFromName('create_own_career_businesses'), { action: 'create:own', object: 'career:businesses' });
  assert.deepEqual(grantFromName('manage_identity_all'), { action: 'any', object: 'identity:all' });
  assert.deepEqual(grantFromName('read_special_stats_daily'), { action: 'read', object: 'special:stats_daily' });
  const expansion = expandRbac([{
    domain: T,
    roles: { business: ['business_career_manage'], guest: ['read_financial_currencies'] },
    permissions: { business_career_manage: ['create_own_career_businesses', 'update_own_career_businesses', 'upload_special_files'] },
  }]);
  assert.deepEqual(expansion.grants.map((g) => [g.subject, g.action, g.object]), [
    [`business@${T}`, 'create:own', 'career:businesses'],
    [`business@${T}`, 'update:own', 'career:businesses'],
    [`guest@${T}`, 'read', 'financial:currencies'],
  ]);
  assert.deepEqual(expansion.skipped.map((s) => s.name), ['upload_special_files']);
});

test('zones: each needs a grant of its possession; the default is own,share; the SQL follows DESIGN 6.3', () => {
  assert.deepEqual(parseZones('own, share,own'), ['own', 'share']);
  assert.throws(() => parseZones('own,world'), /world/);
  assert.deepEqual(resolveZones(undefined, new Set(['own', 'share', 'client'])), ['own', 'share']);
  assert.deepEqual(resolveZones(undefined, new Set(['client'])), ['client']);
  assert.equal(resolveZones(undefined, new Set(['any'])), undefined, 'unscoped reads everything by default');
  assert.deepEqual(resolveZones(['client'], new Set(['any'])), ['client']);
  assert.throws(() => resolveZones(['client'], new Set(['own'])), /zone client is not backed/);
  const params = new SqlParams();
  const sql = zoneSql(['own', 'share', 'group', 'client'], { uid: 'u1', cid: 'c1', coworkers: [], subjects: [], scope: [], groups: [T] }, params);
  assert.equal(sql, '((owner = $1 OR shares @> ARRAY[$2]::text[]) AND groups && $3::text[] AND clients @> ARRAY[$4]::text[])');
  assert.deepEqual(params.values, ['u1', 'u1', [T], 'c1']);
});
