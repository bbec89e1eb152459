import { describe, expect, it } from 'vitest';
import { decodeBase64, decodeMessage, encodeFrame } from './codec';
import { negotiate, offeredProtocols, REMOTE_COMMAND_PROTOCOLS, writesJsonStatus } from './protocols';
import { parsePortQuery } from './ports';

const binary = { base64: false, streamClose: false, channels: 5 };
const v5 = { base64: false, streamClose: true, channels: 5 };
const b64 = { base64: true, streamClose: false, channels: 5 };

describe('decodeMessage', () => {
  it('reads the channel from the first byte, or from the first character minus "0" in base64', () => {
    expect(decodeMessage(Buffer.from([0, 104, 105]), binary)).toEqual({ kind: 'data', channel: 0, data: Buffer.from('hi') });
    expect(decodeMessage(Buffer.from('0aGk='), b64)).toEqual({ kind: 'data', channel: 0, data: Buffer.from('hi') });
    expect(decodeMessage(Buffer.from('4'), b64)).toEqual({ kind: 'data', channel: 4, data: Buffer.alloc(0) });
  });
  it('skips empty messages and unknown channels, including a base64 channel character below "0"', () => {
    expect(decodeMessage(Buffer.alloc(0), binary).kind).toBe('skip');
    expect(decodeMessage(Buffer.from([5, 1]), binary).kind).toBe('skip');
    expect(decodeMessage(Buffer.from('5aGk='), b64).kind).toBe('skip');
    expect(decodeMessage(Buffer.from('/aGk='), b64).kind).toBe('skip');
  });
  it('takes 255 as CLOSE only in v5, and a malformed CLOSE ends the connection', () => {
    expect(decodeMessage(Buffer.from([255, 0]), v5)).toEqual({ kind: 'close', channel: 0 });
    expect(decodeMessage(Buffer.from([255, 0]), binary).kind).toBe('skip');
    expect(decodeMessage(Buffer.from([255]), v5).kind).toBe('fatal');
    expect(decodeMessage(Buffer.from([255, 0, 1]), v5).kind).toBe('fatal');
    expect(decodeMessage(Buffer.from([255, 5]), v5).kind).toBe('fatal');
  });
  it('skips base64 that Go would refuse', () => {
    for (const bad of ['0aGk', '0a=Gk', '0aGk=aGk=', '0a===', '0a*k=', '0 aGk=']) expect(decodeMessage(Buffer.from(bad), b64).kind, bad).toBe('skip');
  });
});

describe('decodeBase64', () => {
  it('ignores CR and LF anywhere, as Go does', () => {
    expect(decodeBase64('aG\r\nk=')).toEqual(Buffer.from('hi'));
    expect(decodeBase64('')).toEqual(Buffer.alloc(0));
  });
});

describe('encodeFrame', () => {
  it('prefixes the channel byte, or the channel character and base64', () => {
    expect(encodeFrame(1, Buffer.from('hi'), false)).toEqual(Buffer.from([1, 104, 105]));
    expect(encodeFrame(2, Buffer.from('hi'), true)).toBe('2aGk=');
    expect(encodeFrame(3, new Uint8Array(0), true)).toBe('3');
  });
});

describe('negotiation', () => {
  it('reads the header as x/net/websocket does', () => {
    expect(offeredProtocols(undefined)).toEqual([]);
    expect(offeredProtocols('  ')).toEqual([]);
    expect(offeredProtocols('v4.channel.k8s.io , channel.k8s.io')).toEqual(['v4.channel.k8s.io', 'channel.k8s.io']);
  });
  it("takes the client's first known protocol, '' for none offered, undefined for none known", () => {
    expect(negotiate(['x', 'channel.k8s.io', 'v5.channel.k8s.io'], REMOTE_COMMAND_PROTOCOLS)).toBe('channel.k8s.io');
    expect(negotiate([], REMOTE_COMMAND_PROTOCOLS)).toBe('');
    expect(negotiate(['v2.channel.k8s.io'], REMOTE_COMMAND_PROTOCOLS)).toBeUndefined();
  });
  it('knows which protocols report a JSON status', () => {
    expect(REMOTE_COMMAND_PROTOCOLS.filter(writesJsonStatus)).toEqual(['v5.channel.k8s.io', 'v4.channel.k8s.io', 'v4.base64.channel.k8s.io']);
    expect(writesJsonStatus('')).toBe(false);
  });
});

describe('parsePortQuery', () => {
  const q = (s: string) => parsePortQuery(new URLSearchParams(s));
  it('reads repeated and comma-separated ports', () => {
    expect(q('port=80,8080&port=443')).toEqual([80, 8080, 443]);
    expect(q('port=080')).toEqual([80]);
  });
  it.each([
    ['', 'query parameter "port" is required'],
    ['ports=80', 'query parameter "port" is required'],
    ['port=', 'query parameter "port" cannot be empty'],
    ['port=80,', 'unable to parse "80," as a port: strconv.ParseUint: parsing "": invalid syntax'],
    ['port=%2B80', 'unable to parse "+80" as a port: strconv.ParseUint: parsing "+80": invalid syntax'],
    ['port=65536', 'unable to parse "65536" as a port: strconv.ParseUint: parsing "65536": value out of range'],
    ['port=0', 'port "0" must be > 0'],
  ])('refuses %j', (query, message) => {
    expect(() => q(query)).toThrow(message);
  });
});
