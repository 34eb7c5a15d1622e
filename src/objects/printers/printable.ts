// What the printers read: any Kubernetes-shaped object, typed only as far as its envelope, so
// the API (store objects) and the CLI (objects as the server sent them) can both pass theirs.

export interface PrintableObject {
  metadata?: {
    name?: string
    namespace?: string
    creationTimestamp?: string
    deletionTimestamp?: string
    labels?: Record<string, string>
  }
  [field: string]: unknown
}
