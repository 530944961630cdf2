import { describe, expect, it } from 'vitest';
import { addressAllowed, parseIp, parseOutboundPolicy, urlRefusal } from './outbound-policy.js';

const byDefault = parseOutboundPolicy();

describe('outbound policy: the default (public addresses only)', () => {
  it.each([
    'http://127.0.0.1/x',
    'http://127.1/x',
    'http://2130706433/x',
    'http://0x7f000001/x',
    'http://0177.0.0.1/x',
    'http://0x7f.0.0.1/x',
    'http://localhost:8080/x',
    'http://api.localhost/x',
    'http://169.254.169.254/latest/meta-data/',
    'http://[fd00:ec2::254]/x',
    'http://10.1.2.3/x',
    'http://172.16.0.1/x',
    'http://192.168.1.1/x',
    'http://0.0.0.0/x',
    'http://[::]/x',
    'http://[::1]/x',
    'http://[::ffff:127.0.0.1]/x',
    'http://[::ffff:a9fe:a9fe]/x',
    'http://[64:ff9b::a9fe:a9fe]/x',
    'http://[fe80::1]/x',
    'http://[fc00::1]/x',
    'http://100.64.0.1/x',
  ])('refuses %s', (url) => {
    expect(urlRefusal(byDefault, url)).toMatch(/not allow/);
  });

  it('allows public addresses and names; refuses templated hosts, userinfo and other schemes', () => {
    expect(urlRefusal(byDefault, 'https://api.example.com/v1/{{profile.id}}?q={{event.id}}')).toBeUndefined();
    expect(urlRefusal(byDefault, 'http://93.184.216.34:8080/x')).toBeUndefined();
    expect(urlRefusal(byDefault, 'https://{{params.host}}/x')).toMatch(/literal/);
    expect(urlRefusal(byDefault, 'https://api.{{params.tenant}}.com/x')).toMatch(/literal/);
    expect(urlRefusal(byDefault, 'https://api.example.com:{{params.port}}/x')).toMatch(/literal/);
    expect(urlRefusal(byDefault, 'https://user:pw@api.example.com/x')).toMatch(/credentials/);
    expect(urlRefusal(byDefault, 'file:///etc/passwd')).toBeDefined();
  });

  it('judges resolved addresses: a public name resolving to an internal address is refused', () => {
    const ip = (s: string) => parseIp(s) as NonNullable<ReturnType<typeof parseIp>>;
    expect(addressAllowed(byDefault, 'rebind.example.com', 443, ip('93.184.216.34'))).toBe(true);
    expect(addressAllowed(byDefault, 'rebind.example.com', 443, ip('127.0.0.1'))).toBe(false);
    expect(addressAllowed(byDefault, 'rebind.example.com', 443, ip('::ffff:10.0.0.1'))).toBe(false);
  });
});

describe('outbound policy: JO_OUTBOUND_ALLOW entries', () => {
  it('host names, *.suffix, CIDRs and ports', () => {
    const p = parseOutboundPolicy(['crm.internal', '*.partner.com:443', '10.20.0.0/16', '127.0.0.1:8080', '[::1]']);
    expect(urlRefusal(p, 'http://crm.internal/x')).toBeUndefined();
    expect(urlRefusal(p, 'https://a.partner.com/x')).toBeUndefined();
    // port 80: not the name entry; only an address entry could cover it once resolved
    const pub = parseIp('93.184.216.34') as NonNullable<ReturnType<typeof parseIp>>;
    expect(addressAllowed(p, 'a.partner.com', 80, pub)).toBe(false);
    expect(addressAllowed(p, 'a.partner.com', 443, pub)).toBe(true);
    expect(urlRefusal(parseOutboundPolicy(['*.partner.com:443']), 'http://a.partner.com/x')).toMatch(/allow list/);
    expect(urlRefusal(p, 'https://partner.com/x')).toBeUndefined(); // an address entry may cover it after DNS
    expect(urlRefusal(p, 'http://10.20.3.4/x')).toBeUndefined();
    expect(urlRefusal(p, 'http://10.21.3.4/x')).toBeDefined();
    expect(urlRefusal(p, 'http://127.0.0.1:8080/x')).toBeUndefined();
    expect(urlRefusal(p, 'http://127.0.0.1:8081/x')).toBeDefined();
    expect(urlRefusal(p, 'http://[::1]:9/x')).toBeUndefined();
    expect(urlRefusal(p, 'http://93.184.216.34/x')).toBeDefined(); // no `public`: a strict allow list
    const strict = parseOutboundPolicy(['api.example.com:443']);
    expect(urlRefusal(strict, 'https://other.example.com/x')).toMatch(/allow list/);
  });

  it('refuses entries it cannot read', () => {
    for (const bad of ['http://x', '10.0.0.0/33', 'a.com:99999', '*.', 'a b']) {
      expect(() => parseOutboundPolicy([bad]), bad).toThrow();
    }
  });
});
