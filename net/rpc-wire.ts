// The rpc protocol's messages. Each is a msgpack array in its own frame, tagged by its first
// element; `id` is chosen by the caller and unique among its calls on one stream.
//
//   caller → handler   [REQUEST, id, method, request]          unary call
//                      [REQUEST_STREAM, id, method, request]   streaming call (own stream)
//                      [CANCEL, id]                            the caller gave up
//   handler → caller   [RESULT, id, response]                  unary call succeeded
//                      [ITEM, id, value]                       one value of a streaming call
//                      [END, id]                               the streaming call is complete
//                      [ERROR, id, name, message, data?]       the call failed (ends it)

export const RPC_PROTOCOL = '/flotilla/rpc/1.0.0'

export const REQUEST = 0
export const REQUEST_STREAM = 1
export const CANCEL = 2
export const RESULT = 3
export const ITEM = 4
export const END = 5
export const ERROR = 6

/** The remote error's name for a method nobody handles. */
export const METHOD_NOT_FOUND = 'MethodNotFoundError'

/** An incoming message with the shape checks done once, here. */
export type WireMessage =
  | { tag: typeof REQUEST, id: number, method: string, body: unknown }
  | { tag: typeof REQUEST_STREAM, id: number, method: string, body: unknown }
  | { tag: typeof CANCEL, id: number }
  | { tag: typeof END, id: number }
  | { tag: typeof RESULT, id: number, body: unknown }
  | { tag: typeof ITEM, id: number, body: unknown }
  | { tag: typeof ERROR, id: number, name: string, message: string, data: Record<string, unknown> | undefined }

/** Parses one decoded frame; undefined for anything malformed (the caller drops the stream). */
export function parseWire (value: unknown): WireMessage | undefined {
  if (!Array.isArray(value) || typeof value[1] !== 'number') return undefined
  const tag: unknown = value[0]
  const id = value[1]
  switch (tag) {
    case REQUEST:
      return typeof value[2] === 'string' ? { tag, id, method: value[2], body: value[3] } : undefined
    case REQUEST_STREAM:
      return typeof value[2] === 'string' ? { tag, id, method: value[2], body: value[3] } : undefined
    case CANCEL:
      return { tag, id }
    case END:
      return { tag, id }
    case RESULT:
      return { tag, id, body: value[2] }
    case ITEM:
      return { tag, id, body: value[2] }
    case ERROR:
      return {
        tag,
        id,
        name: typeof value[2] === 'string' ? value[2] : 'Error',
        message: typeof value[3] === 'string' ? value[3] : '',
        data: isRecord(value[4]) ? value[4] : undefined
      }
    default:
      return undefined
  }
}

/** An ERROR message for a thrown value: its name, message and other own fields (e.g. a leader hint). */
export function errorMessage (id: number, err: unknown): unknown[] {
  if (!(err instanceof Error)) return [ERROR, id, 'Error', String(err)]
  const data: Record<string, unknown> = {}
  let hasData = false
  for (const [key, value] of Object.entries(err)) {
    if (key === 'name' || key === 'message' || key === 'stack' || key === 'cause' || typeof value === 'function') continue
    data[key] = value
    hasData = true
  }
  return hasData ? [ERROR, id, err.name, err.message, data] : [ERROR, id, err.name, err.message]
}

function isRecord (value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array)
}
