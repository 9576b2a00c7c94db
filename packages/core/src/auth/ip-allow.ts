import { BlockList, isIP } from 'node:net';

/** Addresses and CIDR ranges as one list; entries that are not addresses are skipped. */
export function addressList(entries: readonly string[]): BlockList {
  const list = new BlockList();
  for (const entry of entries) {
    const [base, bits] = entry.split('/');
    const family = isIP(base);
    if (family === 0) continue;
    const type = family === 6 ? 'ipv6' : 'ipv4';
    if (bits === undefined) list.addAddress(base, type);
    else list.addSubnet(base, Number(bits), type);
  }
  return list;
}

/** Whether a request's address (IPv4-mapped IPv6 read as IPv4) is in the list. */
export function inList(list: BlockList, ip: string): boolean {
  const address = ip.startsWith('::ffff:') ? ip.slice(7) : ip;
  const family = isIP(address);
  return family !== 0 && list.check(address, family === 6 ? 'ipv6' : 'ipv4');
}

/** An IP whitelist of addresses and CIDR ranges; an empty list allows every address. */
export function ipAllowed(ip: string, whitelist: readonly string[] | undefined): boolean {
  if (!whitelist || whitelist.length === 0) return true;
  return inList(addressList(whitelist), ip);
}
