/**
 * OpenSSH key revocation lists, written from the format's description (PROTOCOL.krl in
 * OpenSSH): a header, then one certificates section per CA holding the revoked serials, as
 * ranges where they run consecutively and as a list otherwise. sshd reads the file
 * (`RevokedKeys`) at every authentication, so a serial published here is refused at the next
 * login, with no reload. No signature section: OpenSSH 9.4 and later refuse signed KRLs; the
 * hosts get the file over HTTPS from the portal or from the connector's push (ADR 0037).
 */
import sshpk from "sshpk";

const KRL_MAGIC = 0x5353484b524c0a00n; // "SSHKRL\n\0"
const KRL_FORMAT_VERSION = 1;
const KRL_SECTION_CERTIFICATES = 1;
const KRL_SECTION_CERT_SERIAL_LIST = 0x20;
const KRL_SECTION_CERT_SERIAL_RANGE = 0x21;
/** A run this long or longer costs less as a range (16 bytes) than as a list (8 per serial). */
const MIN_RANGE = 3;

export type TKrlCertificates = {
  /** The CA's public key as an OpenSSH line (`ssh-ed25519 AAAA… comment`). */
  caPublicKey: string;
  serials: bigint[];
};

export type TKrl = {
  /** Increases whenever the list changes (the portal uses the newest revocation's time). */
  version: bigint;
  generatedAt: Date;
  comment?: string;
  certificates: TKrlCertificates[];
};

const u8 = (value: number) => Buffer.from([value]);
const u32 = (value: number) => {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(value);
  return bytes;
};
const u64 = (value: bigint) => {
  const bytes = Buffer.alloc(8);
  bytes.writeBigUInt64BE(value);
  return bytes;
};
const sshString = (data: Buffer) => Buffer.concat([u32(data.length), data]);

/** Sorted, deduplicated serials as [from, to] runs. */
export const serialRuns = (serials: bigint[]): Array<[bigint, bigint]> => {
  const sorted = [...new Set(serials)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const runs: Array<[bigint, bigint]> = [];
  for (const serial of sorted) {
    if (serial <= 0n || serial >= 2n ** 64n) throw new Error("KRL serials must be 1 .. 2^64-1");
    const last = runs.at(-1);
    if (last && serial === last[1] + 1n) last[1] = serial;
    else runs.push([serial, serial]);
  }
  return runs;
};

const certificatesSection = ({ caPublicKey, serials }: TKrlCertificates): Buffer => {
  const caBlob = sshpk.parseKey(caPublicKey, "ssh").toBuffer("rfc4253");
  const parts: Buffer[] = [sshString(caBlob), sshString(Buffer.alloc(0))];
  const singles: bigint[] = [];
  for (const [from, to] of serialRuns(serials)) {
    if (to - from + 1n >= BigInt(MIN_RANGE))
      parts.push(u8(KRL_SECTION_CERT_SERIAL_RANGE), sshString(Buffer.concat([u64(from), u64(to)])));
    else for (let serial = from; serial <= to; serial++) singles.push(serial);
  }
  if (singles.length > 0) parts.push(u8(KRL_SECTION_CERT_SERIAL_LIST), sshString(Buffer.concat(singles.map(u64))));
  return Buffer.concat([u8(KRL_SECTION_CERTIFICATES), sshString(Buffer.concat(parts))]);
};

/** The KRL's bytes. A CA with no revoked serials gets no section (an empty KRL is valid). */
export const encodeKrl = (krl: TKrl): Buffer =>
  Buffer.concat([
    u64(KRL_MAGIC),
    u32(KRL_FORMAT_VERSION),
    u64(krl.version),
    u64(BigInt(Math.floor(krl.generatedAt.getTime() / 1000))),
    u64(0n), // flags: none defined
    sshString(Buffer.alloc(0)), // reserved
    sshString(Buffer.from(krl.comment ?? "", "utf8")),
    ...krl.certificates.filter((entry) => entry.serials.length > 0).map(certificatesSection),
  ]);
