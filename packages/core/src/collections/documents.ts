import type { Projection } from '@stratum/contracts';
import { actingClientOf, actorOf, type Principal } from '../context.js';
import type { RegisteredCollection } from './registry.js';
import { hashPassword } from '../auth/passwords.js';

export type Doc = Record<string, unknown> & { id: string; version: number };

function union(...lists: (unknown[] | undefined)[]): string[] {
  return [...new Set(lists.flatMap((l) => (l ?? []).map(String)))];
}

/** Replaces every hashed field (chosen by people: passwords, client secrets) by its argon2id hash. */
export async function hashFields(reg: RegisteredCollection, body: Record<string, unknown>): Promise<Record<string, unknown>> {
  if (reg.hashed.size === 0) return body;
  const out = { ...body };
  for (const field of reg.hashed) {
    if (typeof out[field] === 'string') out[field] = await hashPassword(out[field] as string);
  }
  return out;
}

export interface Stamp {
  at: string;
  by: string;
  in: string;
  ts: number;
}

export function stampOf(principal: Principal): Stamp {
  const now = Date.now();
  return { at: new Date(now).toISOString(), by: actorOf(principal), in: actingClientOf(principal), ts: now };
}

/** Core fields and ownership for a new document (DESIGN 4.2, 6.4). */
export function newDocument(id: string, body: Record<string, unknown>, principal: Principal, stamp: Stamp): Doc {
  return {
    ...body,
    id,
    owner: stamp.by,
    shares: union(body.shares as unknown[]),
    groups: union(body.groups as unknown[]),
    clients: union(body.clients as unknown[], [principal.cid], principal.coworkers),
    created_at: stamp.at,
    created_by: stamp.by,
    created_in: stamp.in,
    version: 1,
    timestamp: stamp.ts,
  };
}

/**
 * A patch's ownership lists as stored, the same as on create: without repeats, and `clients`
 * always keeping the caller's client and its coworkers.
 */
export function ownershipOfPatch(set: Record<string, unknown>, principal: Principal): Record<string, unknown> {
  const out = { ...set };
  if (Array.isArray(set.shares)) out.shares = union(set.shares);
  if (Array.isArray(set.groups)) out.groups = union(set.groups);
  if (Array.isArray(set.clients)) out.clients = union(set.clients, [principal.cid], principal.coworkers);
  return out;
}

export function patchDocument(doc: Doc, set: Record<string, unknown>, unset: string[], principal: Principal, stamp: Stamp): Doc {
  const next: Record<string, unknown> = { ...doc, ...ownershipOfPatch(set, principal) };
  for (const key of unset) delete next[key];
  next.updated_at = stamp.at;
  next.updated_by = stamp.by;
  next.updated_in = stamp.in;
  next.version = doc.version + 1;
  next.timestamp = stamp.ts;
  return next as Doc;
}

export function lifecycle(doc: Doc, event: 'deleted' | 'restored', stamp: Stamp): Doc {
  const next: Record<string, unknown> = { ...doc, [`${event}_at`]: stamp.at, [`${event}_by`]: stamp.by, [`${event}_in`]: stamp.in };
  if (event === 'restored') {
    delete next.deleted_at;
    delete next.deleted_by;
    delete next.deleted_in;
  }
  next.version = doc.version + 1;
  next.timestamp = stamp.ts;
  return next as Doc;
}

function projected(doc: Record<string, unknown>, projection: Projection): Record<string, unknown> {
  const entries = Object.entries(projection).filter(([f]) => f !== 'id' || projection.id === 0);
  const including = entries.some(([, v]) => v === 1);
  if (including) {
    const out: Record<string, unknown> = projection.id === 0 ? {} : { id: doc.id };
    for (const [path] of entries) copyPath(doc, out, path.split('.'));
    return out;
  }
  const out = structuredClone(doc);
  for (const [path] of entries) deletePath(out, path.split('.'));
  return out;
}

function copyPath(from: Record<string, unknown>, to: Record<string, unknown>, segments: string[]): void {
  const [head, ...rest] = segments;
  if (!(head in from)) return;
  const value = from[head];
  if (rest.length === 0) to[head] = value;
  else if (value && typeof value === 'object' && !Array.isArray(value)) {
    const child = (to[head] ??= {}) as Record<string, unknown>;
    copyPath(value as Record<string, unknown>, child, rest);
  }
}

function deletePath(target: Record<string, unknown>, segments: string[]): void {
  const [head, ...rest] = segments;
  if (rest.length === 0) delete target[head];
  else if (target[head] && typeof target[head] === 'object') deletePath(target[head] as Record<string, unknown>, rest);
}

/** What a caller gets back: never a write-only field, and only the projected ones. */
export function present(reg: RegisteredCollection, doc: Record<string, unknown>, projection?: Projection): Record<string, unknown> {
  let out = doc;
  if (reg.writeOnly.size > 0) {
    out = { ...doc };
    for (const field of reg.writeOnly) delete out[field];
  }
  return projection ? projected(out, projection) : out;
}
