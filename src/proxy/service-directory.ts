// The read-only view of the cluster that cluster DNS answers from: Services and Endpoints
// by namespace and name. The shapes are structural and minimal (a subset of core/v1), so the
// agent can hand in its store's objects as they are and tests can hand in literals.

export interface ServicePortLike {
  name?: string
  port: number
  /** TCP (default), UDP or SCTP. */
  protocol?: string
}

export interface ServiceLike {
  metadata: { name: string, namespace?: string }
  spec: {
    type?: string
    /** An IP, "None" for a headless Service, or empty/absent while none is allocated. */
    clusterIP?: string
    /** Dual-stack addresses; when present they are used instead of clusterIP. */
    clusterIPs?: string[]
    externalName?: string
    ports?: ServicePortLike[]
    /** Headless only: publish not-ready endpoint addresses too (used by StatefulSet peers). */
    publishNotReadyAddresses?: boolean
  }
}

export interface EndpointAddressLike {
  ip: string
  hostname?: string
  targetRef?: { kind?: string, name?: string, namespace?: string }
}

export interface EndpointPortLike {
  name?: string
  port: number
  protocol?: string
}

export interface EndpointSubsetLike {
  addresses?: EndpointAddressLike[]
  notReadyAddresses?: EndpointAddressLike[]
  ports?: EndpointPortLike[]
}

/** core/v1 Endpoints: the addresses behind a Service, grouped by the ports they serve. */
export interface EndpointsLike {
  subsets?: EndpointSubsetLike[]
}

export interface ServiceDirectory {
  service: (namespace: string, name: string) => ServiceLike | undefined
  endpoints: (namespace: string, name: string) => EndpointsLike | undefined
  /**
   * Whether a namespace exists. When given, names under a missing namespace
   * (`<ns>.svc.<domain>`, `<ip>.<ns>.pod.<domain>`) are NXDOMAIN; when absent, every
   * namespace is assumed to exist (answering NXDOMAIN for an existing one would let caches
   * deny every name below it, RFC 8020).
   */
  namespaceExists?: (namespace: string) => boolean
}
