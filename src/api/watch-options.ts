// The ListOptions of a watch and a list that say where it starts and what it may send:
// resourceVersion, resourceVersionMatch, sendInitialEvents and allowWatchBookmarks, checked
// with Kubernetes' rules (k8s.io/apimachinery ListOptions validation) so that a client asking
// for something the server would not honour gets a 422 naming the option, never a stream or
// a list with other semantics than it asked for.

import type { FieldError } from '../objects/registry.ts'
import { query, type RequestContext } from './context.ts'
import { badRequest, invalid } from './status.ts'

export type ResourceVersionMatch = 'NotOlderThan' | 'Exact'

export interface ReadOptions {
  /** The resourceVersion query value; undefined when absent or empty. */
  resourceVersion?: string
  resourceVersionMatch?: ResourceVersionMatch
  /** Watch only: true / false when given, undefined when absent. */
  sendInitialEvents?: boolean
  /** Watch only: the client reads BOOKMARK events. */
  allowWatchBookmarks: boolean
}

const MATCHES: readonly string[] = ['NotOlderThan', 'Exact']

/** A boolean query parameter as Go's strconv.ParseBool reads it; undefined when absent. */
export function boolParam (ctx: RequestContext, name: string): boolean | undefined {
  const v = query(ctx, name)
  if (v === undefined || v === '') return undefined
  if (['1', 't', 'T', 'true', 'TRUE', 'True'].includes(v)) return true
  if (['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(v)) return false
  throw badRequest(`invalid value ${JSON.stringify(v)} for ${name}: it must be true or false`)
}

/** The options of a list (`watch` false) or a watch, validated; 422 Invalid when they contradict each other. */
export function readOptions (ctx: RequestContext, watch: boolean): ReadOptions {
  const rv = query(ctx, 'resourceVersion')
  const match = query(ctx, 'resourceVersionMatch')
  const out: ReadOptions = { allowWatchBookmarks: watch && boolParam(ctx, 'allowWatchBookmarks') === true }
  if (rv !== undefined && rv !== '') out.resourceVersion = rv
  const send = boolParam(ctx, 'sendInitialEvents')
  const errors: FieldError[] = []
  if (match !== undefined && match !== '') {
    if (!MATCHES.includes(match)) {
      errors.push({ field: 'resourceVersionMatch', message: `Unsupported value: ${JSON.stringify(match)}: supported values: "Exact", "NotOlderThan"`, reason: 'FieldValueNotSupported' })
    } else {
      out.resourceVersionMatch = match as ResourceVersionMatch
    }
  }
  if (send !== undefined) {
    if (!watch) {
      errors.push({ field: 'sendInitialEvents', message: 'Forbidden: sendInitialEvents is forbidden for list', reason: 'FieldValueForbidden' })
    } else {
      out.sendInitialEvents = send
      if (out.resourceVersionMatch !== 'NotOlderThan') {
        errors.push({ field: 'resourceVersionMatch', message: 'Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan', reason: 'FieldValueForbidden' })
      }
      if (send && !out.allowWatchBookmarks) {
        errors.push({ field: 'allowWatchBookmarks', message: 'Forbidden: sendInitialEvents requires setting allowWatchBookmarks to true', reason: 'FieldValueForbidden' })
      }
    }
  } else if (out.resourceVersionMatch !== undefined) {
    if (watch) {
      errors.push({ field: 'resourceVersionMatch', message: 'Forbidden: resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided', reason: 'FieldValueForbidden' })
    } else if (out.resourceVersion === undefined) {
      errors.push({ field: 'resourceVersionMatch', message: 'Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided', reason: 'FieldValueForbidden' })
    } else if (out.resourceVersionMatch === 'Exact' && out.resourceVersion === '0') {
      errors.push({ field: 'resourceVersionMatch', message: 'Forbidden: resourceVersionMatch "exact" is forbidden for resourceVersion "0"', reason: 'FieldValueForbidden' })
    }
  }
  if (errors.length > 0) throw invalid('ListOptions', 'meta.k8s.io', '', errors)
  return out
}
