import { COLUMN_FIELDS, tableOf, type CollectionDefinition, type IndexDefinition } from './definition.js';

const q = (identifier: string) => `"${identifier.replace(/"/g, '""')}"`;

/** The SQL expression an index or a typed filter uses for a field. */
export function fieldExpression(def: CollectionDefinition, field: string): string {
  if (COLUMN_FIELDS.has(field)) return q(field);
  const type = def.schema.properties[field]?.type;
  if (type === 'number' || type === 'integer') return `((doc->>${literal(field)})::numeric)`;
  return `((doc->>${literal(field)}) COLLATE "C")`;
}

function literal(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

function indexSql(def: CollectionDefinition, index: IndexDefinition): string {
  const table = tableOf(def);
  const fields = Object.entries(index.fields);
  const name = `${table}_${index.unique ? 'u' : 'i'}_${fields.map(([f]) => f).join('_')}`;
  const columns = fields.map(([f, dir]) => `${fieldExpression(def, f)}${dir === -1 ? ' DESC' : ''}`).join(', ');
  // Unique keys apply to live documents only: a soft-deleted user must not block a new sign-up.
  const where = index.unique ? ' WHERE deleted_at IS NULL' : '';
  const nulls = index.unique && index.nullsEqual ? ' NULLS NOT DISTINCT' : '';
  return `CREATE ${index.unique ? 'UNIQUE ' : ''}INDEX IF NOT EXISTS ${q(name)} ON ${q(table)} (tenant_id, ${columns})${nulls}${where};`;
}

/** DDL of one collection table: keyed by tenant first, ownership and lifecycle as real columns. */
export function collectionDdl(def: CollectionDefinition): string {
  const t = tableOf(def);
  const lines = [
    `CREATE TABLE IF NOT EXISTS ${q(t)} (`,
    '  tenant_id text NOT NULL,',
    '  id text NOT NULL,',
    '  ref text,',
    '  owner text,',
    "  shares text[] NOT NULL DEFAULT '{}',",
    "  groups text[] NOT NULL DEFAULT '{}',",
    "  clients text[] NOT NULL DEFAULT '{}',",
    '  created_at timestamptz NOT NULL,',
    '  deleted_at timestamptz,',
    '  version integer NOT NULL,',
    '  doc jsonb NOT NULL,',
    '  PRIMARY KEY (tenant_id, id)',
    ');',
    `CREATE UNIQUE INDEX IF NOT EXISTS ${q(`${t}_ref`)} ON ${q(t)} (tenant_id, ref) WHERE ref IS NOT NULL;`,
    `CREATE INDEX IF NOT EXISTS ${q(`${t}_owner`)} ON ${q(t)} (tenant_id, owner);`,
    `CREATE INDEX IF NOT EXISTS ${q(`${t}_created_at`)} ON ${q(t)} (tenant_id, created_at);`,
    `CREATE INDEX IF NOT EXISTS ${q(`${t}_shares`)} ON ${q(t)} USING gin (shares);`,
    `CREATE INDEX IF NOT EXISTS ${q(`${t}_groups`)} ON ${q(t)} USING gin (groups);`,
    `CREATE INDEX IF NOT EXISTS ${q(`${t}_clients`)} ON ${q(t)} USING gin (clients);`,
    `CREATE INDEX IF NOT EXISTS ${q(`${t}_doc`)} ON ${q(t)} USING gin (doc jsonb_path_ops);`,
    ...(def.indexes ?? []).map((index) => indexSql(def, index)),
  ];
  return lines.join('\n');
}

export function quoteIdent(identifier: string): string {
  return q(identifier);
}
