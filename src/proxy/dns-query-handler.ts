// What a cluster DNS server does with one query's bytes, whatever transport brought them:
// parse, answer from the resolver or forward upstream, and encode the reply. The contract:
// it never throws. A message whose header can be read gets a reply (FORMERR when the rest
// is malformed, NOTIMP for opcodes other than QUERY, SERVFAIL when the resolver or every
// upstream fails); one whose header cannot be read, or that is itself a response, gets
// none (undefined) — answering those would only feed reflection loops.

import { DnsFormatError } from './dns-wire.ts'
import {
  encodeForUdp, encodeMessage, headerOnlyReply, parseHeader, parseMessage, replyTo, udpPayloadLimit,
  OPCODE_QUERY, Rcode, type DnsMessage, type DnsQuestion
} from './dns-message.ts'
import type { DnsResolution } from './dns-resolver.ts'
import { exchangeTcp, exchangeUdp, formatUpstream, type Upstream } from './dns-upstream.ts'

/** Answers questions about the cluster (ClusterDnsResolver, or a stand-in in tests). */
export interface QuestionResolver {
  resolve: (question: DnsQuestion) => DnsResolution
}

export type Transport = 'udp' | 'tcp'

export interface QueryHandlerOptions {
  resolver: QuestionResolver
  /** Tried in order for names the resolver forwards; none means SERVFAIL for those. */
  upstreams: Upstream[]
  /** Wait per upstream before trying the next. */
  upstreamTimeoutMs: number
  /** Largest UDP reply offered to EDNS0 clients. */
  maxUdpPayload: number
  /** Told about problems (an upstream starting to fail and recovering, resolver errors); not about ordinary queries. */
  log: (message: string) => void
}

export class QueryHandler {
  /** Upstreams whose last exchange failed, with the failures since: logged once per outage, not per query. */
  private readonly failing = new Map<string, number>()

  constructor (private readonly options: QueryHandlerOptions) {}

  /** The reply to `bytes`, or undefined when there is none to send. Never throws. */
  async handle (bytes: Uint8Array, transport: Transport, signal?: AbortSignal): Promise<Uint8Array | undefined> {
    let query: DnsMessage
    try {
      query = parseMessage(bytes)
    } catch (err) {
      return this.malformed(bytes, err)
    }
    if (query.flags.qr) return undefined
    try {
      return await this.answer(query, bytes, transport, signal)
    } catch (err) {
      // Stopping cancels forwards in flight: nobody waits for those replies.
      if (signal?.aborted === true) return undefined
      this.options.log(`DNS query ${describe(query)} failed: ${err instanceof Error ? err.message : String(err)}`)
      return this.encode(query, replyTo(query, { rcode: Rcode.SERVFAIL, ra: this.recursion() }), transport)
    }
  }

  private malformed (bytes: Uint8Array, err: unknown): Uint8Array | undefined {
    if (!(err instanceof DnsFormatError)) this.options.log(`DNS message could not be parsed: ${String(err)}`)
    let header
    try {
      header = parseHeader(bytes)
    } catch {
      return undefined
    }
    return header.flags.qr ? undefined : headerOnlyReply(header, Rcode.FORMERR)
  }

  private async answer (query: DnsMessage, bytes: Uint8Array, transport: Transport, signal?: AbortSignal): Promise<Uint8Array> {
    const ra = this.recursion()
    if (query.flags.opcode !== OPCODE_QUERY) return this.encode(query, replyTo(query, { rcode: Rcode.NOTIMP, ra }), transport)
    const question = query.questions[0]
    // Every DNS server in practice takes exactly one question per query (RFC 9619).
    if (question === undefined || query.questions.length > 1) return this.encode(query, replyTo(query, { rcode: Rcode.FORMERR, ra }), transport)
    const resolution = this.options.resolver.resolve(question)
    if (resolution.action === 'forward') return await this.forward(query, bytes, transport, signal)
    const reply = replyTo(query, {
      rcode: resolution.rcode,
      aa: true,
      ra,
      answers: resolution.answers,
      authorities: resolution.authorities,
      additionals: resolution.additionals,
      udpPayloadSize: this.options.maxUdpPayload
    })
    return this.encode(query, reply, transport)
  }

  private async forward (query: DnsMessage, bytes: Uint8Array, transport: Transport, signal?: AbortSignal): Promise<Uint8Array> {
    const timeoutMs = this.options.upstreamTimeoutMs
    for (const upstream of this.options.upstreams) {
      try {
        const reply = await exchangeUdp(bytes, upstream, { timeoutMs, ...(signal === undefined ? {} : { signal }) })
        // A TCP client can take the whole answer: fetch it over TCP when UDP came back truncated.
        const whole = transport === 'tcp' && isTruncated(reply) ? await exchangeTcp(bytes, upstream, { timeoutMs, ...(signal === undefined ? {} : { signal }) }) : reply
        this.recovered(upstream)
        return whole
      } catch (err) {
        if (signal?.aborted === true) throw err
        this.failed(upstream, query, err)
      }
    }
    return this.encode(query, replyTo(query, { rcode: Rcode.SERVFAIL, ra: this.recursion(), udpPayloadSize: this.options.maxUdpPayload }), transport)
  }

  private failed (upstream: Upstream, query: DnsMessage, err: unknown): void {
    const key = formatUpstream(upstream)
    const failures = this.failing.get(key) ?? 0
    this.failing.set(key, failures + 1)
    if (failures === 0) this.options.log(`forwarding ${describe(query)} to ${key} failed: ${err instanceof Error ? err.message : String(err)} (further failures are not logged until it answers again)`)
  }

  private recovered (upstream: Upstream): void {
    const key = formatUpstream(upstream)
    const failures = this.failing.get(key)
    if (failures === undefined) return
    this.failing.delete(key)
    this.options.log(`upstream DNS server ${key} answers again after ${failures} failed ${failures === 1 ? 'query' : 'queries'}`)
  }

  private encode (query: DnsMessage, reply: DnsMessage, transport: Transport): Uint8Array {
    return transport === 'udp' ? encodeForUdp(reply, udpPayloadLimit(query, this.options.maxUdpPayload)) : encodeMessage(reply)
  }

  /** RA: recursion is available when there is somewhere to forward to. */
  private recursion (): boolean {
    return this.options.upstreams.length > 0
  }
}

function isTruncated (reply: Uint8Array): boolean {
  return reply.length >= 3 && ((reply[2] ?? 0) & 0x02) !== 0
}

function describe (query: DnsMessage): string {
  const q = query.questions[0]
  return q === undefined ? `id ${query.id}` : `${JSON.stringify(q.name)} type ${q.type}`
}
