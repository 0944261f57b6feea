/**
 * The pii plugin: each detector with valid and invalid examples (checksums,
 * ranges, formats that must not match), the request and answer hooks, and
 * the stream window (matches split across chunks, text held no longer than
 * the window).
 */
import { describe, expect, it } from 'vitest'
import { isGatewayError } from '../../core/errors.js'
import type { ChatChunk, ChatCompletion, ChatRequest } from '../../core/index.js'
import {
  ibanValid,
  luhnValid,
  PII_KINDS,
  type PiiKind,
  piiDetector,
  ssnValid,
  verhoeffCheckDigit,
  verhoeffValid,
} from '../../plugins/pii/detectors.js'
import { type PiiOptions, setupPii } from '../../plugins/pii/index.js'
import { StreamWindow } from '../../plugins/shared/stream-window.js'
import { combineDetectors } from '../../plugins/shared/text-guard.js'
import { fakeApi, fakeContext, textChunk } from '../helpers/fake-plugin-api.js'

const found = (kind: PiiKind, text: string, ignorePrivateIps = true) =>
  piiDetector(kind, { ignorePrivateIps })(text, 0).map((m) => text.slice(m.start, m.end))
const all = combineDetectors(PII_KINDS.map((k) => piiDetector(k, { ignorePrivateIps: true })))
const kindsIn = (text: string) => all(text, 0).map((m) => m.kind)

/** A valid Aadhaar number: 11 digits and their Verhoeff check digit. */
const aadhaar = (eleven: string) => eleven + verhoeffCheckDigit(eleven)

describe('checksums', () => {
  it('Luhn', () => {
    expect(luhnValid('4111111111111111')).toBe(true)
    expect(luhnValid('378282246310005')).toBe(true)
    expect(luhnValid('4111111111111112')).toBe(false)
    expect(luhnValid('')).toBe(false)
  })
  it('IBAN mod-97 and country length', () => {
    expect(ibanValid('DE89370400440532013000')).toBe(true)
    expect(ibanValid('GB82 WEST 1234 5698 7654 32')).toBe(true)
    expect(ibanValid('NL91ABNA0417164300')).toBe(true)
    expect(ibanValid('DE89370400440532013001')).toBe(false) // checksum
    expect(ibanValid('DE8937040044053201300')).toBe(false) // length for DE is 22
    expect(ibanValid('QQ89370400440532013000')).toBe(false) // no such country
  })
  it('Verhoeff', () => {
    expect(verhoeffCheckDigit('236')).toBe('3')
    expect(verhoeffValid('2363')).toBe(true)
    expect(verhoeffValid('2364')).toBe(false)
  })
  it('SSN ranges', () => {
    expect(ssnValid('123', '45', '6789')).toBe(true)
    for (const [a, g, s] of [
      ['000', '12', '3456'],
      ['666', '12', '3456'],
      ['900', '12', '3456'],
      ['999', '12', '3456'],
      ['123', '00', '4567'],
      ['123', '45', '0000'],
      ['078', '05', '1120'],
    ] as const) {
      expect(ssnValid(a, g, s), `${a}-${g}-${s}`).toBe(false)
    }
  })
})

describe('detectors', () => {
  it('email', () => {
    expect(found('email', 'write to john.doe+news@mail.example.co.uk today')).toEqual([
      'john.doe+news@mail.example.co.uk',
    ])
    expect(found('email', 'end of sentence: a.b@example.com.')).toEqual(['a.b@example.com'])
    expect(found('email', 'john@localhost, @example.com, a@b, user@ex ample.com')).toEqual([])
  })

  it('phone: E.164 and national formats, not plain numbers or dates', () => {
    for (const phone of [
      '+14155552671',
      '+44 20 7946 0958',
      '+49 (30) 1234 5678',
      '(212) 555-0123',
      '212-555-0123',
      '212.555.0123',
      '020 7946 0958',
      '07700 900123',
      '01 23 45 67 89',
    ]) {
      expect(found('phone', `call ${phone} now`), phone).toEqual([phone])
    }
    for (const text of [
      'order 12345678 shipped',
      'invoice 2024-01-15',
      'on 12/05/2024 at 10:30',
      'ref 1234567890',
      'the code +123',
      'total 1,234,567.89',
      '555-123-4567', // an exchange cannot start with 1
    ]) {
      expect(found('phone', text), text).toEqual([])
    }
  })

  it('payment cards: 13-19 digits with separators, Luhn-valid only', () => {
    expect(found('card', 'card 4111 1111 1111 1111 exp 12/29')).toEqual(['4111 1111 1111 1111'])
    expect(found('card', 'card 4111-1111-1111-1111.')).toEqual(['4111-1111-1111-1111'])
    expect(found('card', 'amex 378282246310005')).toEqual(['378282246310005'])
    expect(found('card', 'mc 5555555555554444')).toEqual(['5555555555554444'])
    expect(found('card', 'card 4111 1111 1111 1111 2029')).toEqual(['4111 1111 1111 1111']) // then a year
    expect(found('card', 'card 4111 1111 1111 1112')).toEqual([]) // Luhn fails
    expect(found('card', 'order 1234567890123')).toEqual([]) // 13 digits, Luhn fails
    expect(found('card', 'short 411111111111')).toEqual([]) // 12 digits
    expect(found('card', 'long 41111111111111111111')).toEqual([]) // 20 digits
  })

  it('IBAN: country length and mod-97', () => {
    expect(found('iban', 'pay to DE89 3704 0044 0532 0130 00 please')).toEqual(['DE89 3704 0044 0532 0130 00'])
    expect(found('iban', 'IBAN: GB82WEST12345698765432.')).toEqual(['GB82WEST12345698765432'])
    expect(found('iban', 'NL91 ABNA 0417 1643 00 AND MORE')).toEqual(['NL91 ABNA 0417 1643 00'])
    expect(found('iban', 'pay to DE89 3704 0044 0532 0130 01')).toEqual([]) // checksum
    expect(found('iban', 'pay to DE89 3704 0044 0532 0130 0')).toEqual([]) // too short
    expect(found('iban', 'pay to DE89370400440532013000123')).toEqual([]) // too long
    // A bad IBAN leaves no piece behind that another detector takes for a card or phone.
    expect(kindsIn('pay to DE89 3704 0044 0532 0130 01')).toEqual([])
  })

  it('US SSN: issued ranges only, separated', () => {
    expect(found('ssn', 'ssn 123-45-6789.')).toEqual(['123-45-6789'])
    expect(found('ssn', 'ssn 123 45 6789')).toEqual(['123 45 6789'])
    for (const bad of ['000-12-3456', '666-12-3456', '912-12-3456', '123-00-4567', '123-45-0000', '123-45 6789']) {
      expect(found('ssn', `ssn ${bad}`), bad).toEqual([])
    }
    expect(found('ssn', 'order 123456789')).toEqual([]) // nine bare digits are not matched
  })

  it('UK NINO: prefix and suffix rules', () => {
    expect(found('nino', 'NI AB123456C')).toEqual(['AB123456C'])
    expect(found('nino', 'NI AB 12 34 56 C.')).toEqual(['AB 12 34 56 C'])
    for (const bad of ['BG123456A', 'GB123456A', 'DA123456A', 'AO123456A', 'AB123456E', 'AB12345C']) {
      expect(found('nino', `NI ${bad}`), bad).toEqual([])
    }
  })

  it('Indian Aadhaar: Verhoeff check digit', () => {
    const valid = aadhaar('23456789012')
    const spaced = `${valid.slice(0, 4)} ${valid.slice(4, 8)} ${valid.slice(8)}`
    expect(found('aadhaar', `id ${valid}`)).toEqual([valid])
    expect(found('aadhaar', `id ${spaced}`)).toEqual([spaced])
    const wrong = valid.slice(0, 11) + String((Number(valid[11]) + 1) % 10)
    expect(found('aadhaar', `id ${wrong}`)).toEqual([])
    expect(found('aadhaar', `id ${aadhaar('13456789012')}`)).toEqual([]) // cannot start with 0 or 1
  })

  it('IPv4, with private ranges ignored or not', () => {
    expect(found('ipv4', 'from 8.8.8.8 and 192.168.1.10 and 127.0.0.1')).toEqual(['8.8.8.8'])
    expect(found('ipv4', 'from 8.8.8.8 and 192.168.1.10', false)).toEqual(['8.8.8.8', '192.168.1.10'])
    expect(found('ipv4', 'bad 256.1.1.1, 1.2.3, version 1.2.3.4.5')).toEqual([])
  })

  it('IPv6, with loopback and link-local ignored or not', () => {
    expect(found('ipv6', 'host 2001:db8:85a3::8a2e:370:7334.')).toEqual(['2001:db8:85a3::8a2e:370:7334'])
    expect(found('ipv6', 'loopback ::1 and fe80::1 and fd00::2')).toEqual([])
    expect(found('ipv6', 'loopback ::1 and fe80::1', false)).toEqual(['::1', 'fe80::1'])
    expect(found('ipv6', 'at 12:30:45, a::b::c, ::')).toEqual([])
  })

  it('plain text, ids and dates match nothing', () => {
    expect(kindsIn('Order #12345678 placed on 2024-01-15 for $1,299.00; ticket ABC-1234, build 10.2.1')).toEqual([])
  })
})

function chatBody(content: string | ChatRequest['messages'][number]['content']): ChatRequest {
  return { model: 'demo', messages: [{ role: 'user', content }] }
}

function completion(content: string): ChatCompletion {
  return {
    id: 'chatcmpl-test',
    object: 'chat.completion',
    created: 0,
    model: 'demo',
    choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
  }
}

const CARD = '4111 1111 1111 1111'
const EMAIL = 'jane@example.com'

function plugin(options: PiiOptions = {}) {
  const api = fakeApi()
  return { api, hooks: setupPii(options, api) }
}

describe('request', () => {
  it('block: refuses with the kinds and the location, never the value', async () => {
    const { api, hooks } = plugin({ actions: { card: 'block' } })
    const ctx = fakeContext(
      {
        model: 'demo',
        messages: [
          { role: 'system', content: 'be nice' },
          { role: 'user', content: `pay with ${CARD}` },
        ],
      },
      api,
    )
    const error = await Promise.resolve()
      .then(() => hooks.onRequest!(ctx))
      .catch((e: unknown) => e)
    expect(isGatewayError(error)).toBe(true)
    const e = error as { status: number; code: string; param: string; message: string }
    expect(e).toMatchObject({ status: 400, code: 'pii_detected', param: 'messages[1].content' })
    expect(e.message).toContain('card')
    expect(e.message).not.toContain('4111')
    expect(api.verdicts).toEqual(['block'])
    expect(ctx.verdicts.test).toBe('block')
    expect(api.logs.join('\n')).not.toContain('4111')
  })

  it('redact: strings, text parts, tool arguments and tool results; the caller’s object is not changed', async () => {
    const { api, hooks } = plugin()
    const body: ChatRequest = {
      model: 'demo',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: `mail ${EMAIL}` },
            { type: 'image_url', image_url: { url: 'x' } },
          ],
        },
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: 'c1', type: 'function', function: { name: 'pay', arguments: `{"card":"${CARD}"}` } }],
        },
        { role: 'tool', tool_call_id: 'c1', content: 'charged; receipt sent to +44 20 7946 0958' },
        { role: 'user', content: `my ssn is 123-45-6789 and ${EMAIL}` },
      ],
    }
    const original = structuredClone(body)
    const ctx = fakeContext(body, api)
    await hooks.onRequest!(ctx)
    const messages = (ctx.body as ChatRequest).messages
    expect(messages[0]!.content).toEqual([
      { type: 'text', text: 'mail [EMAIL]' },
      { type: 'image_url', image_url: { url: 'x' } },
    ])
    expect(messages[1]!.tool_calls![0]!.function.arguments).toBe('{"card":"[CARD]"}')
    expect(messages[2]!.content).toBe('charged; receipt sent to [PHONE]')
    expect(messages[3]!.content).toBe('my ssn is [SSN] and [EMAIL]')
    expect(body).toEqual(original)
    expect(api.verdicts).toEqual(['redact'])
    expect(api.counts.get('detections_total{kind=email,phase=input,action=redact}')).toBe(2)
    expect(api.counts.get('detections_total{kind=card,phase=input,action=redact}')).toBe(1)
    const logs = api.logs.join('\n')
    for (const value of [EMAIL, '4111', '7946', '6789']) expect(logs).not.toContain(value)
    expect(logs).toContain('messages[1].tool_calls[0].function.arguments')
  })

  it('log: the request passes unchanged; the log names kinds and places', async () => {
    const { api, hooks } = plugin({ action: 'log' })
    const ctx = fakeContext(chatBody(`reach me at ${EMAIL}`), api)
    const before = ctx.body
    await hooks.onRequest!(ctx)
    expect(ctx.body).toBe(before)
    expect(api.verdicts).toEqual(['flag'])
    const line = JSON.parse(api.logs.at(-1)!) as { kinds: Record<string, number>; findings: unknown[] }
    expect(line.kinds).toEqual({ email: 1 })
    expect(line.findings).toEqual([{ kind: 'email', action: 'log', location: 'messages[0].content' }])
    expect(api.logs.join('\n')).not.toContain(EMAIL)
  })

  it('replacement formats, per-detector actions, roles, detectors subset, embeddings input', async () => {
    const { api, hooks } = plugin({
      detectors: ['email', 'card'],
      replacement: '<{kind} removed>',
      replacements: { card: '****' },
      roles: ['user'],
    })
    const ctx = fakeContext(
      {
        model: 'demo',
        messages: [
          { role: 'system', content: `admin: ${EMAIL}` },
          { role: 'user', content: `${EMAIL} ${CARD} 123-45-6789` },
        ],
      },
      api,
    )
    await hooks.onRequest!(ctx)
    const messages = (ctx.body as ChatRequest).messages
    expect(messages[0]!.content).toBe(`admin: ${EMAIL}`)
    expect(messages[1]!.content).toBe('<email removed> **** 123-45-6789')

    const embed = fakeContext({ model: 'demo', input: ['plain', `to ${EMAIL}`] }, api, 'embeddings')
    await hooks.onRequest!(embed)
    expect((embed.body as { input: string[] }).input).toEqual(['plain', 'to <email removed>'])
  })

  it('allow: nothing found, verdict allow, body untouched', async () => {
    const { api, hooks } = plugin()
    const ctx = fakeContext(chatBody('order 12345678 on 2024-01-15'), api)
    const before = ctx.body
    await hooks.onRequest!(ctx)
    expect(ctx.body).toBe(before)
    expect(api.verdicts).toEqual(['allow'])
  })
})

describe('complete answers', () => {
  it('redacts, blocks (refused), or logs', async () => {
    const redact = plugin({ scan: ['output'] })
    const ctx = fakeContext(chatBody('hi'), redact.api)
    const out = (await redact.hooks.onResponse!(ctx, completion(`write to ${EMAIL}`))) as ChatCompletion
    expect(out.choices[0]!.message.content).toBe('write to [EMAIL]')
    expect(redact.api.counts.get('detections_total{kind=email,phase=output,action=redact}')).toBe(1)

    const block = plugin({ scan: ['output'], action: 'block' })
    const error = await Promise.resolve()
      .then(() => block.hooks.onResponse!(fakeContext(chatBody('hi'), block.api), completion(`card ${CARD}`)))
      .catch((e: unknown) => e)
    expect(error).toMatchObject({ status: 400, code: 'pii_detected' })
    expect((error as Error).message).not.toContain('4111')

    const log = plugin({ scan: ['output'], action: 'log' })
    expect(await log.hooks.onResponse!(fakeContext(chatBody('hi'), log.api), completion(`to ${EMAIL}`))).toBeUndefined()
    expect(log.api.verdicts).toEqual(['flag'])
  })

  it('scan: input only leaves answers alone', () => {
    const { hooks } = plugin({ scan: ['input'] })
    expect(hooks.onResponse).toBeUndefined()
    expect(hooks.onChunk).toBeUndefined()
  })
})

/** Runs chunks through onChunk; returns each emitted content and the whole text. */
function stream(hooks: ReturnType<typeof setupPii>, ctx: ReturnType<typeof fakeContext>, pieces: string[]) {
  const emitted: string[] = []
  for (const piece of pieces) {
    const chunk = textChunk(piece, false)
    const out = hooks.onChunk!(ctx, chunk)
    const sent = out === undefined ? chunk : out
    emitted.push(sent?.choices[0]?.delta.content ?? '')
  }
  const last = hooks.onChunk!(ctx, textChunk('', true)) as ChatChunk | undefined
  emitted.push(last?.choices[0]?.delta.content ?? '')
  return { emitted, text: emitted.join('') }
}

describe('streamed answers', () => {
  it('a card number split across three chunks is redacted', () => {
    const { api, hooks } = plugin()
    const ctx = fakeContext(chatBody('hi'), api)
    const { text } = stream(hooks, ctx, ['My card is 4111 11', '11 1111 ', '1111, thanks'])
    expect(text).toBe('My card is [CARD], thanks')
    expect(api.verdicts).toEqual(['redact'])
    expect(api.counts.get('detections_total{kind=card,phase=output,action=redact}')).toBe(1)
    expect(api.logs.join('\n')).not.toContain('1111')
  })

  it('every kind, split at every position, reassembles to the redacted text', () => {
    const text = `Mail ${EMAIL}, card ${CARD}, iban DE89 3704 0044 0532 0130 00, ssn 123-45-6789, ip 8.8.8.8.`
    const expected = 'Mail [EMAIL], card [CARD], iban [IBAN], ssn [SSN], ip [IPV4].'
    for (let cut = 1; cut < text.length; cut += 3) {
      const { hooks, api } = plugin()
      const pieces = [text.slice(0, cut), text.slice(cut, cut + 7), text.slice(cut + 7)]
      expect(stream(hooks, fakeContext(chatBody('hi'), api), pieces).text, `cut at ${cut}`).toBe(expected)
    }
  })

  it('text without PII passes chunk by chunk, held no longer than the window', () => {
    const detect = combineDetectors(PII_KINDS.map((k) => piiDetector(k, { ignorePrivateIps: true })))
    const windowSize = 40
    const window = new StreamWindow(detect, windowSize)
    const words = Array.from({ length: 200 }, (_, i) => `word${i} `)
    let received = ''
    let sent = ''
    for (const word of words) {
      received += word
      const out = window.push(word)
      sent += out.text
      expect(window.held).toBeLessThanOrEqual(windowSize)
      expect(sent.length).toBe(Math.max(0, received.length - windowSize))
    }
    sent += window.push('', true).text
    expect(sent).toBe(received)
  })

  it('through the plugin, with only short detectors, early chunks are released before the end', () => {
    const { api, hooks } = plugin({ detectors: ['card', 'ssn'] })
    const pieces = Array.from({ length: 50 }, (_, i) => `chunk ${i} `)
    const { emitted, text } = stream(hooks, fakeContext(chatBody('hi'), api), pieces)
    expect(text).toBe(pieces.join(''))
    // Window 40: from the sixth chunk on, something is sent with each chunk.
    expect(emitted.slice(6, 50).every((e) => e.length > 0)).toBe(true)
    expect(api.verdicts).toEqual(['allow'])
  })

  it('block degrades to redact in a stream', () => {
    const { api, hooks } = plugin({ action: 'block' })
    const { text } = stream(hooks, fakeContext(chatBody('hi'), api), ['ssn 123-', '45-67', '89 ok'])
    expect(text).toBe('ssn [SSN] ok')
    expect(api.counts.get('detections_total{kind=ssn,phase=output,action=redact}')).toBe(1)
  })

  it('log: chunks pass unchanged as they come; the end logs kinds only', () => {
    const { api, hooks } = plugin({ action: 'log' })
    const { emitted } = stream(hooks, fakeContext(chatBody('hi'), api), ['to jane@exa', 'mple.com ok'])
    expect(emitted).toEqual(['to jane@exa', 'mple.com ok', ''])
    expect(api.verdicts).toEqual(['flag'])
    const logs = api.logs.join('\n')
    expect(logs).toContain('"email":1')
    expect(logs).not.toContain('jane')
  })

  it('a number that is not PII is released unchanged, even when split', () => {
    const { api, hooks } = plugin()
    expect(stream(hooks, fakeContext(chatBody('hi'), api), ['card 4111 1111 ', '1111 1112 is fake']).text).toBe(
      'card 4111 1111 1111 1112 is fake',
    )
  })

  it('choices are windowed separately; usage-only chunks pass', () => {
    const { api, hooks } = plugin()
    const ctx = fakeContext(chatBody('hi'), api)
    const two = (a: string, b: string, finish = false): ChatChunk => ({
      id: 'x',
      object: 'chat.completion.chunk',
      created: 0,
      model: 'demo',
      choices: [
        { index: 0, delta: { content: a }, finish_reason: finish ? 'stop' : null },
        { index: 1, delta: { content: b }, finish_reason: finish ? 'stop' : null },
      ],
    })
    const out: string[] = ['', '']
    for (const chunk of [two('a jane@', 'b 123-45'), two('example.com', '-6789'), two('', '', true)]) {
      const next = (hooks.onChunk!(ctx, chunk) ?? chunk) as ChatChunk
      next.choices.forEach((c) => {
        out[c.index] += c.delta.content ?? ''
      })
    }
    expect(out).toEqual(['a [EMAIL]', 'b [SSN]'])
    const usage: ChatChunk = { id: 'x', object: 'chat.completion.chunk', created: 0, model: 'demo', choices: [] }
    expect(hooks.onChunk!(ctx, usage)).toBeUndefined()
  })
})
