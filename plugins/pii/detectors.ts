/**
 * The PII detectors: each finds candidates with a regular expression and
 * validates them (Luhn, ISO 13616 mod-97, SSN ranges, Verhoeff, address
 * parsing), so that plain numbers (order ids, dates, amounts) do not match.
 * Every detector has a bounded match length: `MAX_LENGTH` is what the stream
 * window must hold back.
 */
import { BlockList, isIPv6 } from 'node:net'
import { type Detector, regexDetector } from '../shared/text-guard.js'

export const PII_KINDS = ['email', 'phone', 'card', 'iban', 'ssn', 'nino', 'aadhaar', 'ipv4', 'ipv6'] as const
export type PiiKind = (typeof PII_KINDS)[number]

/** The longest text each detector can match (plus the few characters its end checks look at). */
export const MAX_LENGTH: Record<PiiKind, number> = {
  email: 256,
  phone: 40,
  card: 40,
  iban: 70,
  ssn: 12,
  nino: 14,
  aadhaar: 16,
  ipv4: 17,
  ipv6: 48,
}

export interface DetectorOptions {
  /** Leave private, loopback, link-local (and CGNAT / unique-local) addresses alone. */
  ignorePrivateIps: boolean
}

export function piiDetector(kind: PiiKind, options: DetectorOptions): Detector<PiiKind> {
  switch (kind) {
    case 'email':
      return regexDetector(kind, EMAIL, (m) => m[0].length <= 254)
    case 'phone':
      return phoneDetector()
    case 'card':
      return regexDetector(kind, CARD, cardSpan)
    case 'iban':
      return ibanDetector()
    case 'ssn':
      return regexDetector(kind, SSN, (m) => ssnValid(m[1]!, m[3]!, m[4]!))
    case 'nino':
      return regexDetector(kind, NINO, (m) => !NINO_BAD_PREFIXES.has(m[1]! + m[2]!))
    case 'aadhaar':
      return regexDetector(kind, AADHAAR, (m) => verhoeffValid(m[1]! + m[3]! + m[4]!))
    case 'ipv4':
      return regexDetector(kind, IPV4, (m) => !(options.ignorePrivateIps && privateIpv4(m[0])))
    case 'ipv6':
      return regexDetector(kind, IPV6_CANDIDATE, (m) => {
        const address = m[0].replace(/\.+$/, '')
        if (!/[0-9a-f]/i.test(address) || (address.match(/:/g)?.length ?? 0) < 2 || !isIPv6(address)) return false
        if (options.ignorePrivateIps && privateIpv6(address)) return false
        return { start: m.index, end: m.index + address.length }
      })
  }
}

// --- email ---------------------------------------------------------------------------------------

const EMAIL =
  /(?<![A-Za-z0-9._%+-])[A-Za-z0-9](?:[A-Za-z0-9._%+-]{0,62}[A-Za-z0-9_%+-])?@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.){1,4}[A-Za-z]{2,24}(?![A-Za-z0-9-]|\.[A-Za-z0-9])/

// --- phone ---------------------------------------------------------------------------------------

/** E.164 and international: `+` and 8 to 15 digits, in groups. */
const PHONE_INTERNATIONAL = /(?<![\w+]|\d[ .-])\+[1-9]\d{0,3}(?:[ .-]?\(?\d{1,5}\)?){1,6}(?!\d)/
/** North America: (212) 555-0123, 212-555-0123, 212.555.0123 (area and exchange start 2-9). */
const PHONE_NANP = /(?<![\w+]|\d[ .-])(?:\([2-9]\d{2}\) ?|[2-9]\d{2}[ .-])[2-9]\d{2}[ .-]\d{4}(?![\w]|[.-]\d)/
/** National with a trunk 0: 020 7946 0958, 07700 900123, (030) 1234567, 01 23 45 67 89: 10-11 digits, separated. */
const PHONE_NATIONAL = /(?<![\w+]|\d[ .-])(?:\(0\d{1,4}\) ?|0\d{1,4}[ ./-])\d{2,4}(?:[ .-]?\d{2,4}){0,3}(?![\w]|[.-]\d)/

function phoneDetector(): Detector<PiiKind> {
  const digits = (s: string) => s.replace(/\D/g, '').length
  const international = regexDetector('phone' as const, PHONE_INTERNATIONAL, (m) => {
    const n = digits(m[0])
    return n >= 8 && n <= 15
  })
  const nanp = regexDetector('phone' as const, PHONE_NANP)
  const national = regexDetector('phone' as const, PHONE_NATIONAL, (m) => {
    const n = digits(m[0])
    return n >= 10 && n <= 11
  })
  return (text, from) => {
    const all = [...international(text, from), ...nanp(text, from), ...national(text, from)]
    all.sort((a, b) => a.start - b.start || b.end - a.end)
    const out = []
    let reached = from
    for (const m of all) {
      if (m.start < reached) continue
      out.push(m)
      reached = m.end
    }
    return out
  }
}

// --- payment cards -------------------------------------------------------------------------------

/** 13 to 19 digits, single spaces or hyphens between them, not right after other digits. */
const CARD = /(?<!\d[ -]?)\d(?:[ -]?\d){12,18}(?!\d)/

/**
 * The longest Luhn-valid prefix of a candidate, cut only before a separator: "4111 1111 1111 1111 2029"
 * finds the card in front of the year.
 */
function cardSpan(m: RegExpExecArray): { start: number; end: number } | false {
  const s = m[0]
  const ends = [s.length]
  for (let i = s.length - 1; i > 0; i--) if (s[i] === ' ' || s[i] === '-') ends.push(i)
  for (const end of ends) {
    const digits = s.slice(0, end).replace(/\D/g, '')
    if (digits.length < 13) break
    if (digits.length <= 19 && luhnValid(digits)) return { start: m.index, end: m.index + end }
  }
  return false
}

export function luhnValid(digits: string): boolean {
  let sum = 0
  let double = false
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48
    if (d < 0 || d > 9) return false
    if (double) {
      d *= 2
      if (d > 9) d -= 9
    }
    sum += d
    double = !double
  }
  return digits.length > 0 && sum % 10 === 0
}

// --- IBAN ----------------------------------------------------------------------------------------

/** IBAN length by country (ISO 13616 registry). */
export const IBAN_LENGTHS: Readonly<Record<string, number>> = Object.freeze({
  AD: 24,
  AE: 23,
  AL: 28,
  AT: 20,
  AZ: 28,
  BA: 20,
  BE: 16,
  BG: 22,
  BH: 22,
  BI: 27,
  BR: 29,
  BY: 28,
  CH: 21,
  CR: 22,
  CY: 28,
  CZ: 24,
  DE: 22,
  DJ: 27,
  DK: 18,
  DO: 28,
  EE: 20,
  EG: 29,
  ES: 24,
  FI: 18,
  FK: 18,
  FO: 18,
  FR: 27,
  GB: 22,
  GE: 22,
  GI: 23,
  GL: 18,
  GR: 27,
  GT: 28,
  HR: 21,
  HU: 28,
  IE: 22,
  IL: 23,
  IQ: 23,
  IS: 26,
  IT: 27,
  JO: 30,
  KW: 30,
  KZ: 20,
  LB: 28,
  LC: 32,
  LI: 21,
  LT: 20,
  LU: 20,
  LV: 21,
  LY: 25,
  MC: 27,
  MD: 24,
  ME: 22,
  MK: 19,
  MN: 20,
  MR: 27,
  MT: 31,
  MU: 30,
  NI: 28,
  NL: 18,
  NO: 15,
  OM: 23,
  PK: 24,
  PL: 28,
  PS: 29,
  PT: 25,
  QA: 29,
  RO: 24,
  RS: 22,
  RU: 33,
  SA: 24,
  SC: 31,
  SD: 18,
  SE: 24,
  SI: 19,
  SK: 24,
  SM: 27,
  SO: 23,
  ST: 25,
  SV: 28,
  TL: 23,
  TN: 24,
  TR: 26,
  UA: 29,
  VA: 22,
  VG: 24,
  XK: 20,
  YE: 30,
})

const IBAN_START = /(?<![A-Za-z0-9])([A-Z]{2})\d{2}/

/** The country's length of characters (single spaces allowed between them), then no letter or digit. */
function ibanDetector(): Detector<PiiKind> {
  return regexDetector('iban' as const, IBAN_START, (m) => {
    const length = IBAN_LENGTHS[m[1]!]
    if (length === undefined) return false
    const text = m.input
    let compact = m[0]
    let i = m.index + m[0].length
    while (compact.length < length && i < text.length) {
      const c = text[i]!
      if (c === ' ' && i + 1 < text.length && isIbanChar(text[i + 1]!)) {
        i++
        continue
      }
      if (!isIbanChar(c)) break
      compact += c
      i++
    }
    if (compact.length !== length) return false
    if (i < text.length && /[A-Za-z0-9]/.test(text[i]!)) return false
    return ibanValid(compact) ? { start: m.index, end: i } : false
  })
}

function isIbanChar(c: string): boolean {
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z')
}

/** ISO 13616: the country's length, and the first four characters moved to the end read as a number mod 97 = 1. */
export function ibanValid(iban: string): boolean {
  const compact = iban.replace(/ /g, '').toUpperCase()
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]+$/.test(compact)) return false
  if (IBAN_LENGTHS[compact.slice(0, 2)] !== compact.length) return false
  const rearranged = compact.slice(4) + compact.slice(0, 4)
  let remainder = 0
  for (const c of rearranged) {
    const value = c >= 'A' ? String(c.charCodeAt(0) - 55) : c
    for (const d of value) remainder = (remainder * 10 + (d.charCodeAt(0) - 48)) % 97
  }
  return remainder === 1
}

// --- national ids --------------------------------------------------------------------------------

/** US SSN, written AAA-GG-SSSS or AAA GG SSSS (the same separator twice; nine bare digits are not matched). */
const SSN = /(?<![\d-])(\d{3})([- ])(\d{2})\2(\d{4})(?![\d]|-\d)/

/** Area 000, 666 and 900-999, group 00 and serial 0000 are never issued; two numbers are known advertising samples. */
export function ssnValid(area: string, group: string, serial: string): boolean {
  if (area === '000' || area === '666' || area[0] === '9') return false
  if (group === '00' || serial === '0000') return false
  const whole = area + group + serial
  return whole !== '078051120' && whole !== '219099999'
}

/** UK National Insurance number: two prefix letters, six digits, a suffix A-D; spaces allowed between the pairs. */
const NINO = /(?<![A-Za-z0-9])([A-CEGHJ-PR-TW-Z])([A-CEGHJ-NPR-TW-Z]) ?(\d{2}) ?(\d{2}) ?(\d{2}) ?[A-D](?![A-Za-z0-9])/
const NINO_BAD_PREFIXES = new Set(['BG', 'GB', 'KN', 'NK', 'NT', 'TN', 'ZZ'])

/** Indian Aadhaar: 12 digits, the first 2-9, in 4-4-4 groups (space, hyphen or none), Verhoeff check digit last. */
const AADHAAR = /(?<!\d[ -]?)([2-9]\d{3})([ -]?)(\d{4})\2(\d{4})(?!\d|-\d)/

const VERHOEFF_D = [
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
  [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
  [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
  [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
  [4, 0, 1, 2, 3, 9, 5, 6, 7, 8],
  [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
  [6, 5, 9, 8, 7, 1, 0, 4, 3, 2],
  [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
  [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
  [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
]
const VERHOEFF_P = [
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
  [1, 5, 7, 6, 2, 8, 3, 0, 9, 4],
  [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
  [8, 9, 1, 6, 0, 4, 3, 5, 2, 7],
  [9, 4, 5, 3, 1, 2, 6, 8, 7, 0],
  [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
  [2, 7, 9, 3, 8, 0, 6, 4, 1, 5],
  [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
]
const VERHOEFF_INV = [0, 4, 3, 2, 1, 5, 6, 7, 8, 9]

export function verhoeffValid(digits: string): boolean {
  let c = 0
  const n = digits.length
  for (let i = 0; i < n; i++) c = VERHOEFF_D[c]![VERHOEFF_P[i % 8]![digits.charCodeAt(n - 1 - i) - 48]!]!
  return n > 0 && c === 0
}

/** The Verhoeff check digit to append to `digits`. */
export function verhoeffCheckDigit(digits: string): string {
  let c = 0
  const n = digits.length
  for (let i = 0; i < n; i++) c = VERHOEFF_D[c]![VERHOEFF_P[(i + 1) % 8]![digits.charCodeAt(n - 1 - i) - 48]!]!
  return String(VERHOEFF_INV[c])
}

// --- IP addresses --------------------------------------------------------------------------------

const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)'
const IPV4 = new RegExp(`(?<![\\w.])(?:${OCTET}\\.){3}${OCTET}(?![\\w]|\\.\\d)`)
/** A run of hex digits, colons and dots; isIPv6 decides. */
const IPV6_CANDIDATE = /(?<![\w:.])[0-9A-Fa-f:][0-9A-Fa-f:.]{1,44}(?![\w:])/

const PRIVATE = new BlockList()
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
] as const) {
  PRIVATE.addSubnet(net, prefix, 'ipv4')
}
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fe80::', 10],
  ['fc00::', 7],
] as const) {
  PRIVATE.addSubnet(net, prefix, 'ipv6')
}

export function privateIpv4(address: string): boolean {
  return PRIVATE.check(address, 'ipv4')
}

export function privateIpv6(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)
  if (mapped) return privateIpv4(mapped[1]!)
  return PRIVATE.check(address, 'ipv6')
}
