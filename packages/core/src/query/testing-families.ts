import {
  ALL_PATHS, ALWAYS_ARRAYS, INTEGER_PATHS, NULL_SAFE, SCALAR_ARRAYS, THROUGH_ARRAYS, TYPE_SAFE,
  inList, rangeCondition, regexCondition, typeCondition, valueFor, type Filter, type Gen,
} from './testing-filters.js';

/** One generator per operator family: each call makes one filter. */
export type Family = (g: Gen) => Filter;

const eq: Family = (g) => {
  const path = g.r.pick(ALL_PATHS);
  const value = valueFor(g, path);
  return g.r.chance(0.5) ? { [path]: value } : { [path]: { $eq: value } };
};

const ne: Family = (g) => {
  const path = g.r.pick(ALL_PATHS);
  return { [path]: { $ne: valueFor(g, path) } };
};

const range: Family = (g) => {
  const path = g.r.pick(ALL_PATHS);
  return { [path]: rangeCondition(g, path) };
};

const inNin: Family = (g) => {
  const path = g.r.pick(ALL_PATHS);
  return { [path]: { [g.r.pick(['$in', '$nin'])]: inList(g, path) } };
};

const exists: Family = (g) => ({ [g.r.pick(ALL_PATHS)]: { $exists: g.r.chance(0.5) } });

const regex: Family = (g) => ({ [g.r.pick(ALL_PATHS)]: regexCondition(g) });

const size: Family = (g) => ({ [g.r.pick([...SCALAR_ARRAYS, 'grid', 'items', 'mixed', 'name', 'props.a', 'nope'])]: { $size: g.r.int(0, 4) } });

const type: Family = (g) => {
  const path = g.r.chance(0.7) ? g.r.pick(TYPE_SAFE) : g.r.pick(NULL_SAFE);
  return { [path]: typeCondition(g, path) };
};

const mod: Family = (g) => {
  const divisor = g.r.pick([1, 2, 3, 4, 5, 7, -2, -3]);
  return { [g.r.pick(INTEGER_PATHS)]: { $mod: [divisor, g.r.int(-Math.abs(divisor) + 1, Math.abs(divisor) - 1)] } };
};

/** A condition on one array element: operators only. */
function elementCondition(g: Gen, path: string): Filter {
  const cond: Filter = {};
  for (let i = g.r.int(1, 2); i > 0; i--) {
    const roll = g.r.next();
    if (roll < 0.35) Object.assign(cond, rangeCondition(g, path));
    else if (roll < 0.5) cond[g.r.pick(['$in', '$nin'])] = inList(g, path);
    else if (roll < 0.6) cond[g.r.pick(['$eq', '$ne'])] = valueFor(g, path);
    else if (roll < 0.72) Object.assign(cond, regexCondition(g));
    else if (roll < 0.82) cond.$type = g.r.pick(['string', 'number', 'bool', 'null']);
    else if (roll < 0.9 && path === 'nums') cond.$mod = [g.r.pick([2, 3, 5]), g.r.int(0, 1)];
    else cond.$not = rangeCondition(g, path);
  }
  return cond;
}

/**
 * A condition on an element of `items`: fields of the element, maybe under a logical operator.
 * Null is fine here: the elements of `items` are all objects, and `sub` is never an array.
 */
function itemCondition(g: Gen, depth = 0): Filter {
  const fields = ['k', 'v', 'sub.x', 'sub', 'list', 'zz'];
  const one = (): Filter => {
    const field = g.r.pick(fields);
    const path = `items.${field}`;
    const roll = g.r.next();
    if (roll < 0.35) return { [field]: valueFor(g, path, true) };
    if (roll < 0.55) return { [field]: rangeCondition(g, path) };
    if (roll < 0.65) return { [field]: { $exists: g.r.chance(0.5) } };
    if (roll < 0.75) return { [field]: { $in: inList(g, path, true) } };
    if (roll < 0.85) return { [field]: regexCondition(g) };
    if (roll < 0.92) return { [field]: { $ne: valueFor(g, path, true) } };
    return { [field]: { $size: g.r.int(0, 2) } };
  };
  if (depth < 1 && g.r.chance(0.2)) return { [g.r.pick(['$or', '$and', '$nor'])]: [itemCondition(g, depth + 1), itemCondition(g, depth + 1)] };
  const cond = one();
  return g.r.chance(0.4) ? { ...one(), ...cond } : cond;
}

const elemMatch: Family = (g) => {
  if (g.r.chance(0.5)) return { items: { $elemMatch: itemCondition(g) } };
  const path = g.r.pick(SCALAR_ARRAYS);
  return { [path]: { $elemMatch: elementCondition(g, path) } };
};

const all: Family = (g) => {
  if (g.r.chance(0.3)) return { items: { $all: [{ $elemMatch: itemCondition(g) }, { $elemMatch: itemCondition(g) }].slice(0, g.r.int(1, 2)) } };
  const path = g.r.pick(ALWAYS_ARRAYS);
  const values = g.r.sample(g.pools.at(path).filter((v) => !Array.isArray(v)), g.r.int(0, 3));
  if (g.r.chance(0.2)) values.push(valueFor(g, path, false, false));
  return { [path]: { $all: values } };
};

const not: Family = (g) => {
  const roll = g.r.next();
  const path = g.r.pick(roll < 0.7 ? ALL_PATHS : NULL_SAFE);
  let inner: Filter;
  if (roll < 0.3) inner = rangeCondition(g, path);
  else if (roll < 0.5) inner = regexCondition(g);
  else if (roll < 0.6) inner = { $in: inList(g, path) };
  else if (roll < 0.7) inner = { $eq: valueFor(g, path) };
  else if (roll < 0.8) inner = { $size: g.r.int(0, 3) };
  else if (roll < 0.9) inner = typeCondition(g, path);
  else inner = { $exists: g.r.chance(0.5) };
  return { [path]: { $not: inner } };
};

const throughArrays: Family = (g) => {
  const path = g.r.pick(THROUGH_ARRAYS);
  const roll = g.r.next();
  if (roll < 0.3) return { [path]: valueFor(g, path) };
  if (roll < 0.5) return { [path]: rangeCondition(g, path) };
  if (roll < 0.6) return { [path]: { $exists: g.r.chance(0.5) } };
  if (roll < 0.75) return { [path]: { [g.r.pick(['$in', '$nin'])]: inList(g, path) } };
  if (roll < 0.85) return { [path]: regexCondition(g) };
  return { [path]: { $ne: valueFor(g, path) } };
};

export const ATOMIC_FAMILIES: Record<string, Family> = {
  eq, ne, range, inNin, exists, regex, size, type, mod, elemMatch, all, not, throughArrays,
};

function atom(g: Gen): Filter {
  return ATOMIC_FAMILIES[g.r.pick(Object.keys(ATOMIC_FAMILIES))](g);
}

function tree(g: Gen, depth: number): Filter {
  if (depth === 0 || g.r.chance(0.3)) return atom(g);
  const roll = g.r.next();
  const children = Array.from({ length: g.r.int(1, 3) }, () => tree(g, depth - 1));
  if (roll < 0.3) return { $and: children };
  if (roll < 0.6) return { $or: children };
  if (roll < 0.8) return { $nor: children };
  return Object.assign({}, ...children.map((c) => (Object.keys(c).some((k) => k.startsWith('$')) ? { $and: [c] } : c)));
}

const logical: Family = (g) => tree(g, g.r.int(1, 4));

export const FAMILIES: Record<string, Family> = { ...ATOMIC_FAMILIES, logical };
