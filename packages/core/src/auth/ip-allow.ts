import { BlockList, isIP } from 'node:net';

/** An IP whitelist of addresses and CIDR ranges; an empty list allows every address. */
export function ipAllowed(ip: string, whitelist: readonly string[] | undefined): boolean {
  if (!whitelist || whitelist.length === 0) return true;
  const address = ip.startsWith('::ffff:') ? ip.slice(7) : ip;
  const family = isIP(address);
  if (family === 0) return false;
  const list = new BlockList();
  for (const entry of whitelist) {
    const [base, bits] = entry.split('/');
    const entryFamily = isIP(base);
    if (entryFamily === 0) continue;
    const type = entryFamily === 6 ? 'ipv6' : 'ipv4';
    if (bits === undefined) list.addAddress(base, type);
    else list.addSubnet(base, Number(bits), type);
  }
  return list.check(address, family === 6 ? 'ipv6' : 'ipv4');
}
