// What the receiving agent decides about an object before proposing it: bind it to the URL
// (apiVersion, kind, namespace, name), fill the server-side fields of a new object (uid,
// creationTimestamp, generation, a generated name), apply the kind's defaults, then validate.
// Everything non-deterministic happens here so that applying the proposal is deterministic.

import { randomInt } from 'node:crypto'
import type { KObject } from '../store/types.ts'
import { apiVersionOf, type FieldError, type KindInfo } from '../objects/registry.ts'
import type { ResourceRoute } from './routes.ts'
import { badRequest, invalid } from './status.ts'
import { isPlainObject } from './body.ts'

/** The alphabet Kubernetes draws generated name suffixes from (no vowels, no look-alikes). */
const SUFFIX_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789'
const SUFFIX_LENGTH = 5
const MAX_NAME_LENGTH = 63

/** `generateName` plus 5 random characters, the base cut so the result fits 63 characters. */
export function generateName (base: string): string {
  let suffix = ''
  for (let i = 0; i < SUFFIX_LENGTH; i++) suffix += SUFFIX_ALPHABET[randomInt(SUFFIX_ALPHABET.length)]
  return base.slice(0, MAX_NAME_LENGTH - SUFFIX_LENGTH) + suffix
}

/**
 * Checks a decoded body against the URL and fills what the URL implies: apiVersion and kind
 * when missing, the namespace (cleared for cluster-scoped kinds), the name (for PUT/PATCH).
 * Mismatches are a 400, as Kubernetes answers.
 */
export function bindToRoute (body: Record<string, unknown>, route: ResourceRoute): KObject {
  const k = route.kind
  const apiVersion = apiVersionOf(k)
  if (body.apiVersion === undefined || body.apiVersion === '') body.apiVersion = apiVersion
  else if (body.apiVersion !== apiVersion) throw badRequest(`the API version in the data (${String(body.apiVersion)}) does not match the expected API version (${apiVersion})`)
  if (body.kind === undefined || body.kind === '') body.kind = k.kind
  else if (body.kind !== k.kind) throw badRequest(`the kind in the data (${String(body.kind)}) does not match the expected kind (${k.kind})`)
  if (body.metadata === undefined || body.metadata === null) body.metadata = {}
  if (!isPlainObject(body.metadata)) throw badRequest('metadata must be an object')
  const meta = body.metadata
  if (k.namespaced) {
    if (meta.namespace !== undefined && meta.namespace !== '' && meta.namespace !== route.namespace) {
      throw badRequest('the namespace of the provided object does not match the namespace sent on the request')
    }
    meta.namespace = route.namespace
  } else {
    delete meta.namespace
  }
  if (route.name !== undefined) {
    if (meta.name === undefined || meta.name === '') meta.name = route.name
    else if (meta.name !== route.name) throw badRequest(`the name of the object (${String(meta.name)}) does not match the name on the URL (${route.name})`)
  }
  // apiVersion, kind and metadata first, as Kubernetes prints objects.
  const { apiVersion: _a, kind: _k, metadata: _m, ...rest } = body
  return { apiVersion: body.apiVersion, kind: body.kind, metadata: meta, ...rest } as KObject
}

/** Fields every object's metadata must satisfy, whatever its kind (Kubernetes' ValidateObjectMeta, in part). */
export function validateObjectMeta (obj: KObject): FieldError[] {
  const errs: FieldError[] = []
  const m = obj.metadata
  if (typeof m.name !== 'string' || m.name === '') {
    errs.push({ field: 'metadata.name', message: 'Required value: name or generateName is required' })
  } else if (m.name === '.' || m.name === '..' || /[/%]/.test(m.name)) {
    errs.push({ field: 'metadata.name', message: `Invalid value: ${JSON.stringify(m.name)}: may not be '.' or '..' and may not contain '/' or '%'` })
  }
  for (const field of ['labels', 'annotations'] as const) {
    const v = m[field]
    if (v === undefined) continue
    if (!isPlainObject(v) || Object.values(v).some(x => typeof x !== 'string')) {
      errs.push({ field: `metadata.${field}`, message: 'Invalid value: must be a map of string keys to string values' })
    }
  }
  if (m.finalizers !== undefined && (!Array.isArray(m.finalizers) || m.finalizers.some(f => typeof f !== 'string'))) {
    errs.push({ field: 'metadata.finalizers', message: 'Invalid value: must be a list of strings' })
  }
  if (m.ownerReferences !== undefined && !Array.isArray(m.ownerReferences)) {
    errs.push({ field: 'metadata.ownerReferences', message: 'Invalid value: must be a list' })
  }
  return errs
}

/** Applies the kind's defaults, then validates; 422 naming every offending field. */
export function defaultAndValidate (obj: KObject, kind: KindInfo): void {
  let errs = validateObjectMeta(obj)
  if (errs.length === 0) {
    try {
      kind.defaults(obj)
      errs = kind.validate(obj)
    } catch (err) {
      throw badRequest(`the object could not be read as a ${kind.kind}: ${err instanceof Error ? err.message : String(err)}`)
    }
  }
  if (errs.length > 0) throw invalid(kind.kind, kind.group, typeof obj.metadata.name === 'string' ? obj.metadata.name : '', errs)
  // An empty map is no map, as Kubernetes stores metadata (`kubectl label x k-` leaves no `labels: {}`).
  for (const field of ['labels', 'annotations'] as const) {
    const v = obj.metadata[field]
    if (v !== undefined && Object.keys(v).length === 0) delete obj.metadata[field]
  }
}

export interface ServerFields {
  uid: string
  creationTimestamp: string
}

/**
 * Prepares a new object for a create proposal: server-side fields decided here (uid,
 * creationTimestamp, generation 1, a generated name), client-set ones that only the server
 * may set cleared, then defaults and validation.
 */
export function prepareCreate (obj: KObject, kind: KindInfo, fields: ServerFields): KObject {
  const m = obj.metadata
  if ((m.name === undefined || m.name === '') && typeof m.generateName === 'string' && m.generateName !== '') {
    m.name = generateName(m.generateName)
  }
  delete m.resourceVersion
  delete m.deletionTimestamp
  delete m.deletionGracePeriodSeconds
  m.uid = fields.uid
  m.creationTimestamp = fields.creationTimestamp
  m.generation = 1
  defaultAndValidate(obj, kind)
  return obj
}
