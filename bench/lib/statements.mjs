// The statements the engine runs for W1-W3 (packages/core/src/collections/engine.ts, select.ts),
// character for character, for the ceiling server to run too. No imports: the ceiling stays bare.
export const GET_BY_ID = 'SELECT doc FROM "c_identity_users" WHERE tenant_id = $1 AND id = $2 AND deleted_at IS NULL';
export const FIND = 'SELECT doc FROM "c_identity_users" WHERE tenant_id = $1 AND deleted_at IS NULL'
  + ` AND (((doc->>'status') COLLATE "C") = $2::text) ORDER BY "created_at" DESC, "id" ASC LIMIT $3 OFFSET $4`;
export const INSERT = 'INSERT INTO "c_identity_users" (tenant_id, id, ref, owner, shares, groups, clients, created_at, version, doc)'
  + ' VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)';
