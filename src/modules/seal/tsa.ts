import 'reflect-metadata'
import { createHash, randomBytes, webcrypto } from 'node:crypto'
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import * as asn1js from 'asn1js'
import * as pkijs from 'pkijs'
import * as x509 from '@peculiar/x509'
import { AppError } from '../../platform/errors.js'

/**
 * RFC 3161 time stamps: the request (SHA-512 imprint), the built-in authority (an ECDSA P-256 root CA
 * and an RSA-2048 TSA certificate with the critical timeStamping EKU, created once under
 * SAEH_HOME/tsa), an HTTP client for an external authority, and token verification (imprint,
 * CMS signature, chain to the trusted CA, EKU). Tokens are whole TimeStampResp DER documents, the
 * form `openssl ts -verify -in … -data …` reads.
 */

x509.cryptoProvider.set(webcrypto as never)
pkijs.setEngine('node', new pkijs.CryptoEngine({ name: 'node', crypto: webcrypto as never }))

const OID_TST_INFO = '1.2.840.113549.1.9.16.1.4'
const OID_SIGNED_DATA = '1.2.840.113549.1.7.2'
const OID_CONTENT_TYPE = '1.2.840.113549.1.9.3'
const OID_MESSAGE_DIGEST = '1.2.840.113549.1.9.4'
const OID_SIGNING_TIME = '1.2.840.113549.1.9.5'
const OID_SIGNING_CERT_V2 = '1.2.840.113549.1.9.16.2.47'
const OID_EKU_TIMESTAMPING = '1.3.6.1.5.5.7.3.8'
/** The built-in authority's policy (an arc under the private-use OID of this software's tests). */
export const SAEH_TSA_POLICY = '1.3.6.1.4.1.99999.3161.1'

/** The SHA-512 digest algorithm. */
const OID_DIGEST_SHA512 = '2.16.840.1.101.3.4.2.3'

function ab(b: Uint8Array): ArrayBuffer {
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer
}

export function tsaError(message: string, details: Record<string, unknown> = {}): AppError {
  return new AppError('SEAL_TSA_UNAVAILABLE', 'unavailable', message, details)
}

/** A DER TimeStampReq over a SHA-512 digest, with a random nonce, asking for the TSA's certificate. */
export function buildTimestampRequest(digest: Uint8Array): Buffer {
  const req = new pkijs.TimeStampReq({
    version: 1,
    messageImprint: new pkijs.MessageImprint({
      hashAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: OID_DIGEST_SHA512 }),
      hashedMessage: new asn1js.OctetString({ valueHex: ab(digest) }),
    }),
    nonce: new asn1js.Integer({ valueHex: ab(Buffer.concat([Buffer.from([0x01]), randomBytes(8)])) }),
    certReq: true,
  })
  return Buffer.from(req.toSchema().toBER(false))
}

export interface TimestampAuthority {
  readonly kind: 'builtin' | 'http'
  /** Returns a DER TimeStampResp (status granted) over the given DER TimeStampReq. */
  stamp(request: Buffer): Promise<Buffer>
}

// ── built-in authority ───────────────────────────────────────────────────────────────────────────

export interface AuthorityFiles {
  readonly dir: string
  readonly caCert: string
  readonly caKey: string
  readonly tsaCert: string
  readonly tsaKey: string
}

export function authorityFiles(home: string): AuthorityFiles {
  const dir = join(home, 'tsa')
  return {
    dir,
    caCert: join(dir, 'ca.cert.pem'),
    caKey: join(dir, 'ca.key.pem'),
    tsaCert: join(dir, 'tsa.cert.pem'),
    tsaKey: join(dir, 'tsa.key.pem'),
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await readFile(p)
    return true
  } catch {
    return false
  }
}

function pem(label: string, der: ArrayBuffer): string {
  const b64 = Buffer.from(der).toString('base64')
  return `-----BEGIN ${label}-----\n${b64.replace(/.{1,64}/g, '$&\n')}-----END ${label}-----\n`
}

export function pemToDer(text: string, label: string): Buffer[] {
  const re = new RegExp(`-----BEGIN ${label}-----([\\s\\S]*?)-----END ${label}-----`, 'g')
  return [...text.matchAll(re)].map((m) => Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64'))
}

const ECDSA = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const
const RSA = {
  name: 'RSASSA-PKCS1-v1_5',
  hash: 'SHA-256',
  publicExponent: new Uint8Array([1, 0, 1]),
  modulusLength: 2048,
} as const

/**
 * Creates the built-in authority's CA and TSA keys and certificates if missing (idempotent). The CA
 * key only ever signs the TSA certificate; an operator backs up the whole `tsa/` folder (losing
 * ca.cert.pem makes old tokens unverifiable by SAEH; losing the keys only means new ones are made).
 */
export async function ensureBuiltinAuthority(home: string, now: Date): Promise<AuthorityFiles> {
  const f = authorityFiles(home)
  if ((await exists(f.caCert)) && (await exists(f.tsaCert)) && (await exists(f.tsaKey))) return f
  await mkdir(f.dir, { recursive: true, mode: 0o700 })
  const subtle = webcrypto.subtle
  const caKeys = (await subtle.generateKey(ECDSA, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair
  const notBefore = new Date(now.getTime() - 3600_000)
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomBytes(8)
      .toString('hex')
      .replace(/^[89a-f]/, '1'),
    name: 'CN=SAEH built-in time-stamping root CA, O=SAEH',
    notBefore,
    notAfter: new Date(now.getTime() + 30 * 365 * 86400_000),
    signingAlgorithm: ECDSA,
    keys: caKeys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  })
  const tsaKeys = (await subtle.generateKey(RSA, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair
  const tsa = await x509.X509CertificateGenerator.create({
    serialNumber: randomBytes(8)
      .toString('hex')
      .replace(/^[89a-f]/, '2'),
    subject: 'CN=SAEH built-in time-stamping authority, O=SAEH',
    issuer: ca.subject,
    notBefore,
    notAfter: new Date(now.getTime() + 20 * 365 * 86400_000),
    signingAlgorithm: ECDSA,
    publicKey: tsaKeys.publicKey,
    signingKey: caKeys.privateKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.nonRepudiation,
        true,
      ),
      new x509.ExtendedKeyUsageExtension([OID_EKU_TIMESTAMPING], true),
      await x509.SubjectKeyIdentifierExtension.create(tsaKeys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  })
  const write = async (p: string, text: string, secret: boolean) => {
    await writeFile(p, text, { mode: secret ? 0o600 : 0o644 })
    if (secret) await chmod(p, 0o600)
  }
  await write(f.caKey, pem('PRIVATE KEY', await subtle.exportKey('pkcs8', caKeys.privateKey)), true)
  await write(f.tsaKey, pem('PRIVATE KEY', await subtle.exportKey('pkcs8', tsaKeys.privateKey)), true)
  await write(f.tsaCert, tsa.toString('pem') + '\n', false)
  await write(f.caCert, ca.toString('pem') + '\n', false)
  return f
}

function parseCert(der: Buffer): pkijs.Certificate {
  return pkijs.Certificate.fromBER(ab(der))
}

/** The built-in authority: signs requests with the TSA key found under SAEH_HOME/tsa. */
export class BuiltinAuthority implements TimestampAuthority {
  readonly kind = 'builtin' as const
  private serial = BigInt(Date.now()) * 1000n

  private constructor(
    private readonly key: webcrypto.CryptoKey,
    private readonly certDer: Buffer,
    private readonly clock: () => Date,
  ) {}

  static async load(home: string, clock: () => Date): Promise<BuiltinAuthority> {
    const f = await ensureBuiltinAuthority(home, clock())
    const keyDer = pemToDer(await readFile(f.tsaKey, 'utf8'), 'PRIVATE KEY')[0]
    const certDer = pemToDer(await readFile(f.tsaCert, 'utf8'), 'CERTIFICATE')[0]
    if (!keyDer || !certDer) throw tsaError(`Autorité d'horodatage intégrée illisible dans ${f.dir}`)
    const key = await webcrypto.subtle.importKey('pkcs8', keyDer, RSA, false, ['sign'])
    return new BuiltinAuthority(key, certDer, clock)
  }

  async stamp(request: Buffer): Promise<Buffer> {
    let req: pkijs.TimeStampReq
    try {
      req = pkijs.TimeStampReq.fromBER(ab(request))
    } catch (e) {
      throw new AppError('SEAL_TSA_REQUEST_INVALID', 'invalid', 'Requête d’horodatage illisible', {
        reason: String(e),
      })
    }
    const now = this.clock()
    const cert = parseCert(this.certDer)
    this.serial += 1n
    // A DER INTEGER: positive, minimal (no leading zero byte unless the next byte's high bit is set).
    let serialHex = this.serial.toString(16)
    if (serialHex.length % 2) serialHex = '0' + serialHex
    if (parseInt(serialHex[0]!, 16) >= 8) serialHex = '00' + serialHex
    const tst = new pkijs.TSTInfo({
      version: 1,
      policy: SAEH_TSA_POLICY,
      messageImprint: req.messageImprint,
      serialNumber: new asn1js.Integer({ valueHex: ab(Buffer.from(serialHex, 'hex')) }),
      genTime: new Date(Math.floor(now.getTime() / 1000) * 1000),
      ordering: false,
      ...(req.nonce ? { nonce: req.nonce } : {}),
    })
    const tstDer = tst.toSchema().toBER(false)
    const certHash = createHash('sha256').update(this.certDer).digest()
    // ESS signingCertificateV2 (RFC 5035): ESSCertIDv2 with the default hash algorithm (SHA-256).
    const signingCertV2 = new asn1js.Sequence({
      value: [
        new asn1js.Sequence({
          value: [new asn1js.Sequence({ value: [new asn1js.OctetString({ valueHex: ab(certHash) })] })],
        }),
      ],
    })
    const signed = new pkijs.SignedData({
      version: 3,
      encapContentInfo: new pkijs.EncapsulatedContentInfo({
        eContentType: OID_TST_INFO,
        eContent: new asn1js.OctetString({ valueHex: tstDer }),
      }),
      signerInfos: [
        new pkijs.SignerInfo({
          version: 1,
          sid: new pkijs.IssuerAndSerialNumber({
            issuer: cert.issuer,
            serialNumber: cert.serialNumber,
          }),
        }),
      ],
      certificates: req.certReq ? [cert] : [],
    })
    const msgDigest = createHash('sha256').update(Buffer.from(tstDer)).digest()
    signed.signerInfos[0]!.signedAttrs = new pkijs.SignedAndUnsignedAttributes({
      type: 0,
      attributes: [
        new pkijs.Attribute({
          type: OID_CONTENT_TYPE,
          values: [new asn1js.ObjectIdentifier({ value: OID_TST_INFO })],
        }),
        new pkijs.Attribute({ type: OID_SIGNING_TIME, values: [new asn1js.UTCTime({ valueDate: now })] }),
        new pkijs.Attribute({
          type: OID_MESSAGE_DIGEST,
          values: [new asn1js.OctetString({ valueHex: ab(msgDigest) })],
        }),
        new pkijs.Attribute({ type: OID_SIGNING_CERT_V2, values: [signingCertV2] }),
      ],
    })
    await signed.sign(this.key, 0, 'SHA-256', tstDer)
    const token = new pkijs.ContentInfo({ contentType: OID_SIGNED_DATA, content: signed.toSchema(true) })
    const resp = new pkijs.TimeStampResp({
      status: new pkijs.PKIStatusInfo({ status: pkijs.PKIStatus.granted }),
      timeStampToken: token,
    })
    return Buffer.from(resp.toSchema().toBER(false))
  }
}

/** An external authority over HTTP (RFC 3161 §3.4: POST application/timestamp-query). */
export class HttpAuthority implements TimestampAuthority {
  readonly kind = 'http' as const
  constructor(
    readonly url: string,
    private readonly timeoutMs = 30_000,
  ) {}

  async stamp(request: Buffer): Promise<Buffer> {
    let res: Response
    try {
      res = await fetch(this.url, {
        method: 'POST',
        headers: { 'content-type': 'application/timestamp-query' },
        body: request,
        signal: AbortSignal.timeout(this.timeoutMs),
      })
    } catch (e) {
      throw tsaError(`Autorité d'horodatage injoignable (${this.url}) : ${(e as Error).message}`, {
        url: this.url,
      })
    }
    const body = Buffer.from(await res.arrayBuffer())
    if (!res.ok) {
      throw tsaError(`Autorité d'horodatage en erreur (${this.url}) : HTTP ${res.status}`, {
        url: this.url,
        status: res.status,
      })
    }
    return body
  }
}

// ── reading and verifying tokens ─────────────────────────────────────────────────────────────────

export interface TokenInfo {
  readonly genTime: string
  readonly policy: string
  readonly serial: string
  readonly imprintAlgorithm: string
  readonly imprint: string
  readonly signer: string | null
}

function parseResponse(der: Buffer): { resp: pkijs.TimeStampResp; tst: pkijs.TSTInfo; sd: pkijs.SignedData } {
  const resp = pkijs.TimeStampResp.fromBER(ab(der))
  if (
    resp.status.status !== pkijs.PKIStatus.granted &&
    resp.status.status !== pkijs.PKIStatus.grantedWithMods
  ) {
    throw new Error(`TSA refused the request (status ${resp.status.status})`)
  }
  if (!resp.timeStampToken) throw new Error('no time-stamp token in the response')
  const sd = new pkijs.SignedData({ schema: resp.timeStampToken.content })
  const e = sd.encapContentInfo.eContent
  if (sd.encapContentInfo.eContentType !== OID_TST_INFO || !e)
    throw new Error('token content is not a TSTInfo')
  const tst = pkijs.TSTInfo.fromBER(e.getValue())
  return { resp, tst, sd }
}

/** Reads a TimeStampResp; throws SEAL_TOKEN_INVALID when it is not a granted, well-formed token. */
export function readToken(der: Buffer): TokenInfo {
  try {
    const { tst, sd } = parseResponse(der)
    const signer = sd.certificates?.find((c): c is pkijs.Certificate => c instanceof pkijs.Certificate)
    return {
      genTime: tst.genTime.toISOString(),
      policy: tst.policy,
      serial: Buffer.from(tst.serialNumber.valueBlock.valueHexView).toString('hex'),
      imprintAlgorithm: tst.messageImprint.hashAlgorithm.algorithmId,
      imprint: Buffer.from(tst.messageImprint.hashedMessage.valueBlock.valueHexView).toString('hex'),
      signer: signer ? signer.subject.typesAndValues.map((t) => t.value.valueBlock.value).join(', ') : null,
    }
  } catch (e) {
    throw new AppError(
      'SEAL_TOKEN_INVALID',
      'invalid',
      `Jeton d'horodatage illisible : ${(e as Error).message}`,
      {},
    )
  }
}

/**
 * Checks a token against the expected SHA-512 digest and the trusted CA certificates: imprint
 * (algorithm and value), CMS signature and messageDigest, chain to a trusted CA at genTime, and the
 * signer's extended key usage (timeStamping only, critical). Returns the problems found ([] = valid).
 */
export async function verifyToken(
  der: Buffer,
  document: Buffer,
  trustedCaDer: readonly Buffer[],
): Promise<{ problems: string[]; info: TokenInfo | null }> {
  const expectedDigest = sha512(document)
  let parsed
  try {
    // Re-parse from DER (a freshly built pkijs object does not verify: see deps.md §8).
    parsed = parseResponse(der)
  } catch (e) {
    return { problems: [`token unreadable: ${(e as Error).message}`], info: null }
  }
  const info = readToken(der)
  const problems: string[] = []
  if (info.imprintAlgorithm !== OID_DIGEST_SHA512)
    problems.push(`imprint algorithm is ${info.imprintAlgorithm}, not SHA-512`)
  if (info.imprint !== expectedDigest.toString('hex'))
    problems.push('imprint does not match the seal digest (token for another document)')
  const certs = (parsed.sd.certificates ?? []).filter(
    (c): c is pkijs.Certificate => c instanceof pkijs.Certificate,
  )
  const signer = certs[0]
  if (!signer) problems.push('token carries no signer certificate')
  else {
    const eku = signer.extensions?.find((x) => x.extnID === '2.5.29.37')
    const usages = (eku?.parsedValue as pkijs.ExtKeyUsage | undefined)?.keyPurposes ?? []
    if (!eku || !usages.includes(OID_EKU_TIMESTAMPING) || usages.length !== 1 || !eku.critical)
      problems.push('signer certificate lacks the critical timeStamping extended key usage')
  }
  try {
    const trusted = trustedCaDer.map((d) => parseCert(d))
    const ok = await parsed.sd.verify({
      signer: 0,
      data: ab(document),
      trustedCerts: trusted,
      checkChain: true,
      checkDate: parsed.tst.genTime,
      extendedMode: true,
    })
    const r = ok as unknown as { signatureVerified?: boolean; signerCertificateVerified?: boolean }
    if (r.signatureVerified === false) problems.push('token signature does not verify')
    if (r.signerCertificateVerified === false)
      problems.push('signer certificate does not chain to the trusted CA')
  } catch (e) {
    const err = e as { message?: string; signatureVerified?: boolean; signerCertificateVerified?: boolean }
    if (err.message?.includes('TSTInfo verification')) {
      if (problems.length === 0) problems.push('imprint does not match the seal digest')
    } else if (err.signatureVerified === false) problems.push('token signature does not verify')
    else if (err.signerCertificateVerified === false || /chain|trusted|issuer/i.test(err.message ?? ''))
      problems.push('signer certificate does not chain to the trusted CA')
    else problems.push(`token signature or certificate chain invalid: ${err.message ?? String(e)}`)
  }
  return { problems, info }
}

export function sha512(data: Uint8Array | string): Buffer {
  return createHash('sha512').update(data).digest()
}
