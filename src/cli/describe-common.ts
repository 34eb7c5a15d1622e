// Pieces every `describe` page shares: the metadata header, `Controlled By`, a conditions
// table, and the Events section at the end.

import { age } from '../objects/printers/age.ts'
import type { KObject } from './client.ts'
import { describeTime, type DescribeWriter } from './describe-writer.ts'
import { LAST_APPLIED_ANNOTATION } from './three-way-merge.ts'

export interface DescribeContext {
  now: number
  /** Events about the object; undefined when the server serves no events. */
  events: KObject[] | undefined
  /** For services: the Endpoints object of the same name, when there is one. */
  endpoints?: KObject | undefined
}

export type Any = Record<string, any>

export const none = (s: unknown): string => (s === undefined || s === null || s === '' ? '<none>' : String(s))

/** Name, Namespace, Labels, Annotations (without the last-applied one), CreationTimestamp. */
export function header (obj: KObject, w: DescribeWriter, namespaced: boolean, afterName?: () => void): void {
  const meta = obj.metadata ?? {}
  w.line(0, 'Name', none(meta.name))
  afterName?.()
  if (namespaced) w.line(0, 'Namespace', none(meta.namespace))
  w.map(0, 'Labels', meta.labels)
  const { [LAST_APPLIED_ANNOTATION]: _hidden, ...annotations } = meta.annotations ?? {}
  w.map(0, 'Annotations', annotations, ': ')
  w.line(0, 'CreationTimestamp', describeTime(meta.creationTimestamp))
  if (meta.deletionTimestamp !== undefined) w.line(0, 'DeletionTimestamp', describeTime(meta.deletionTimestamp))
}

/** `Controlled By:  ReplicaSet/web-5d8f`, when an owner is the controller. */
export function controlledBy (obj: KObject, w: DescribeWriter): void {
  const owners = (obj.metadata?.ownerReferences ?? []) as Any[]
  const c = owners.find(o => o.controller === true)
  if (c !== undefined) w.line(0, 'Controlled By', `${String(c.kind)}/${String(c.name)}`)
}

/** `Conditions:` as a Type / Status (/ Reason) table. */
export function conditions (w: DescribeWriter, list: unknown, indent = 0, withReason = false): void {
  const items = Array.isArray(list) ? list as Any[] : []
  if (items.length === 0) return
  w.line(indent, 'Conditions')
  const headers = withReason ? ['Type', 'Status', 'Reason'] : ['Type', 'Status']
  w.table(indent + 1, headers, items.map(c => withReason ? [none(c.type), none(c.status), none(c.reason)] : [none(c.type), none(c.status)]))
}

function eventAge (e: Any, now: number): string {
  const last = e.lastTimestamp ?? e.eventTime ?? e.metadata?.creationTimestamp
  const count = typeof e.count === 'number' ? e.count : 1
  if (count > 1 && e.firstTimestamp !== undefined) return `${age(last, now)} (x${count} over ${age(e.firstTimestamp, now)})`
  return age(last, now)
}

/** The Events section; kubectl prints `Events:  <none>` when there are none. */
export function events (w: DescribeWriter, ctx: DescribeContext): void {
  const list = (ctx.events ?? []) as Any[]
  if (list.length === 0) { w.line(0, 'Events', '<none>'); return }
  const sorted = [...list].sort((a, b) => String(a.lastTimestamp ?? a.eventTime ?? '').localeCompare(String(b.lastTimestamp ?? b.eventTime ?? '')))
  w.line(0, 'Events')
  w.table(1, ['Type', 'Reason', 'Age', 'From', 'Message'], sorted.map(e => [
    none(e.type),
    none(e.reason),
    eventAge(e, ctx.now),
    none(e.source?.component ?? e.reportingController ?? e.reportingComponent),
    String(e.message ?? '').trim()
  ]))
}

/** Container details shared by pods and pod templates. */
export function containers (w: DescribeWriter, indent: number, title: string, specs: unknown, statuses?: unknown): void {
  const list = Array.isArray(specs) ? specs as Any[] : []
  if (list.length === 0) return
  const sts = Array.isArray(statuses) ? statuses as Any[] : []
  w.line(indent, title)
  for (const c of list) {
    w.line(indent + 1, String(c.name))
    w.line(indent + 2, 'Image', none(c.image))
    const ports = Array.isArray(c.ports) ? c.ports as Any[] : []
    w.line(indent + 2, ports.length > 1 ? 'Ports' : 'Port', none(ports.map(p => `${p.containerPort}/${p.protocol ?? 'TCP'}`).join(', ')))
    if (Array.isArray(c.command)) w.line(indent + 2, 'Command', (c.command as unknown[]).map(String))
    if (Array.isArray(c.args)) w.line(indent + 2, 'Args', (c.args as unknown[]).map(String))
    const st = sts.find(s => s.name === c.name)
    if (st !== undefined) {
      state(w, indent + 2, 'State', st.state)
      if (st.lastState !== undefined && Object.keys(st.lastState as object).length > 0) state(w, indent + 2, 'Last State', st.lastState)
      w.line(indent + 2, 'Ready', st.ready === true ? 'True' : 'False')
      w.line(indent + 2, 'Restart Count', String(st.restartCount ?? 0))
    }
    const env = Array.isArray(c.env) ? c.env as Any[] : []
    if (env.length === 0) w.line(indent + 2, 'Environment', '<none>')
    else {
      w.line(indent + 2, 'Environment')
      for (const e of env) w.line(indent + 3, String(e.name), e.value !== undefined ? String(e.value) : '<set from a reference>')
    }
  }
}

function state (w: DescribeWriter, indent: number, label: string, s: Any | undefined): void {
  if (s?.running !== undefined) {
    w.line(indent, label, 'Running')
    w.line(indent + 1, 'Started', describeTime(s.running.startedAt))
  } else if (s?.terminated !== undefined) {
    w.line(indent, label, 'Terminated')
    w.line(indent + 1, 'Reason', none(s.terminated.reason))
    w.line(indent + 1, 'Exit Code', String(s.terminated.exitCode ?? 0))
    if (s.terminated.finishedAt !== undefined) w.line(indent + 1, 'Finished', describeTime(s.terminated.finishedAt))
  } else if (s?.waiting !== undefined) {
    w.line(indent, label, 'Waiting')
    w.line(indent + 1, 'Reason', none(s.waiting.reason))
  } else {
    w.line(indent, label, '<unknown>')
  }
}
