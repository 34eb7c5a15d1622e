// Schemas of the core/v1 kinds other than Pod: Namespace, Node, ConfigMap, Secret, Service,
// Endpoints, Event, and the types they use.

import { f, type TypeDef } from './dsl.ts'
import { kindFields } from './meta.ts'

const PROTOCOLS = ['SCTP', 'TCP', 'UDP']
const CONDITION_STATUS = 'True, False or Unknown.'

export const CORE_TYPES: Readonly<Record<string, TypeDef>> = {
  Namespace: {
    description: 'A scope for names: namespaced objects of one kind have unique names inside their namespace.',
    gvk: { group: '', version: 'v1', kind: 'Namespace' },
    fields: kindFields(
      f('NamespaceSpec', 'What the namespace needs before it can go away.'),
      f('NamespaceStatus', 'The namespace\'s phase. Read-only.')
    )
  },
  NamespaceSpec: {
    description: 'The namespace\'s finalizers.',
    fields: { finalizers: f('[]string', 'Parties that must empty the namespace before it is removed. Defaults to kubernetes.') }
  },
  NamespaceStatus: {
    description: 'The observed state of a namespace.',
    fields: {
      conditions: f('[]object', 'The namespace\'s conditions.', { keys: ['type'] }),
      phase: f('string', 'Active, or Terminating once deletion was requested.', { enum: ['Active', 'Terminating'] })
    }
  },
  Node: {
    description: 'A machine that runs pods. In Flotilla every agent registers its own Node under its agent name.',
    gvk: { group: '', version: 'v1', kind: 'Node' },
    fields: kindFields(
      f('NodeSpec', 'How the node takes pods: taints, schedulability, pod address ranges.'),
      f('NodeStatus', 'The node\'s capacity, conditions and addresses, reported by its agent. Read-only.')
    )
  },
  NodeSpec: {
    description: 'How pods are placed on the node.',
    fields: {
      externalID: f('string', 'Deprecated; unused.'),
      podCIDR: f('string', 'The address range of the node\'s pods.'),
      podCIDRs: f('[]string', 'The address ranges of the node\'s pods, one per IP family.', { set: true }),
      providerID: f('string', 'The node\'s id at its infrastructure provider.'),
      taints: f('[]Taint', 'Taints that keep pods without a matching toleration off the node.'),
      unschedulable: f('boolean', 'When true (kubectl cordon) no new pods are placed on the node.')
    }
  },
  Taint: {
    description: 'Marks a node so that only pods that tolerate it go (or stay) there.',
    fields: {
      effect: f('string', 'What the taint does to pods that do not tolerate it.', { required: true, enum: ['NoExecute', 'NoSchedule', 'PreferNoSchedule'] }),
      key: f('string', 'The taint key.', { required: true }),
      timeAdded: f('time', 'When a NoExecute taint was added.'),
      value: f('string', 'The taint value.')
    }
  },
  NodeStatus: {
    description: 'What the node\'s agent last reported.',
    fields: {
      addresses: f('[]NodeAddress', 'The node\'s addresses.', { keys: ['type'] }),
      allocatable: f('{}quantity', 'The resources available to pods, by name.'),
      capacity: f('{}quantity', 'The node\'s total resources, by name.'),
      conditions: f('[]NodeCondition', 'The node\'s conditions (Ready, MemoryPressure, …).', { keys: ['type'] }),
      daemonEndpoints: f('object', 'Ports of the daemons on the node.'),
      images: f('[]object', 'Images present on the node.'),
      nodeInfo: f('NodeSystemInfo', 'Versions and ids of the node\'s system.'),
      phase: f('string', 'Deprecated; unused.'),
      volumesAttached: f('[]object', 'Volumes attached to the node.'),
      volumesInUse: f('[]string', 'Volumes in use on the node.')
    }
  },
  NodeAddress: {
    description: 'One address of a node.',
    fields: {
      address: f('string', 'The address.', { required: true }),
      type: f('string', 'Hostname, InternalIP, ExternalIP, InternalDNS or ExternalDNS.', { required: true })
    }
  },
  NodeCondition: {
    description: 'One condition of a node.',
    fields: {
      lastHeartbeatTime: f('time', 'When the condition was last reported.'),
      lastTransitionTime: f('time', 'When the status last changed.'),
      message: f('string', 'Details, for people.'),
      reason: f('string', 'Why, in one CamelCase word.'),
      status: f('string', CONDITION_STATUS, { required: true }),
      type: f('string', 'The condition.', { required: true })
    }
  },
  NodeSystemInfo: {
    description: 'Versions and ids of a node\'s system.',
    fields: {
      architecture: f('string', 'The CPU architecture.', { required: true }),
      bootID: f('string', 'Changes at each boot.', { required: true }),
      containerRuntimeVersion: f('string', 'The container runtime and its version.', { required: true }),
      kernelVersion: f('string', 'The kernel version.', { required: true }),
      kubeProxyVersion: f('string', 'Deprecated.', { required: true }),
      kubeletVersion: f('string', 'The version of the node agent.', { required: true }),
      machineID: f('string', 'The machine id.', { required: true }),
      operatingSystem: f('string', 'The operating system.', { required: true }),
      osImage: f('string', 'The operating system image.', { required: true }),
      systemUUID: f('string', 'The system UUID.', { required: true })
    }
  },
  ConfigMap: {
    description: 'Configuration data by key, for pods to read as environment variables or files.',
    gvk: { group: '', version: 'v1', kind: 'ConfigMap' },
    fields: {
      ...kindFields(),
      binaryData: f('{}string', 'Binary values by key, base64-encoded. Keys may not repeat those of data.'),
      data: f('{}string', 'Text values by key.'),
      immutable: f('boolean', 'When true, data and binaryData cannot change any more.')
    }
  },
  Secret: {
    description: 'Sensitive values by key (passwords, tokens, keys), for pods to read as environment variables or files.',
    gvk: { group: '', version: 'v1', kind: 'Secret' },
    fields: {
      ...kindFields(),
      data: f('{}string', 'Values by key, base64-encoded.'),
      immutable: f('boolean', 'When true, data cannot change any more.'),
      stringData: f('{}string', 'Plain-text values by key, merged into data on write (and not kept). Write-only.'),
      type: f('string', 'What the secret holds; some types require keys. Defaults to Opaque.')
    }
  },
  Service: {
    description: 'A stable name and address in front of the pods a selector matches; traffic is spread over the ready ones.',
    gvk: { group: '', version: 'v1', kind: 'Service' },
    fields: kindFields(
      f('ServiceSpec', 'How the service is reached and which pods serve it.'),
      f('ServiceStatus', 'The service\'s load balancer, when it has one. Read-only.')
    )
  },
  ServiceSpec: {
    description: 'How a service is exposed and which pods back it.',
    fields: {
      allocateLoadBalancerNodePorts: f('boolean', 'Whether a LoadBalancer service gets node ports. Defaults to true.'),
      clusterIP: f('string', 'The service\'s virtual address. Allocated when empty; None makes a headless service. Cannot be changed.'),
      clusterIPs: f('[]string', 'The service\'s virtual addresses, one per IP family; the first equals clusterIP.'),
      externalIPs: f('[]string', 'Extra addresses at which the nodes accept traffic for the service.'),
      externalName: f('string', 'For type ExternalName: the DNS name the service is an alias of.'),
      externalTrafficPolicy: f('string', 'Whether external traffic may go to pods on other nodes (Cluster) or only local ones (Local).', { enum: ['Cluster', 'Local'] }),
      healthCheckNodePort: f('integer', 'The node port of the health check for Local external traffic.'),
      internalTrafficPolicy: f('string', 'Whether in-cluster traffic may go to pods on other nodes. Defaults to Cluster.', { enum: ['Cluster', 'Local'] }),
      ipFamilies: f('[]string', 'The IP families of the service (IPv4, IPv6).'),
      ipFamilyPolicy: f('string', 'How many IP families the service gets.', { enum: ['PreferDualStack', 'RequireDualStack', 'SingleStack'] }),
      loadBalancerClass: f('string', 'The load balancer implementation for type LoadBalancer.'),
      loadBalancerIP: f('string', 'Deprecated: a requested load balancer address.'),
      loadBalancerSourceRanges: f('[]string', 'Client address ranges a load balancer accepts.'),
      ports: f('[]ServicePort', 'The ports the service exposes.', { keys: ['port', 'protocol'] }),
      publishNotReadyAddresses: f('boolean', 'List pods in endpoints and DNS even when they are not ready.'),
      selector: f('{}string', 'Labels of the pods that back the service. Without one, endpoints are managed by hand.', { atomic: true }),
      sessionAffinity: f('string', 'ClientIP keeps each client on one pod. Defaults to None.', { enum: ['ClientIP', 'None'] }),
      sessionAffinityConfig: f('object', 'Settings of the session affinity.'),
      trafficDistribution: f('string', 'A preference for how traffic is spread over endpoints.'),
      type: f('string', 'How the service is exposed. Defaults to ClusterIP.', { enum: ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'] })
    }
  },
  ServicePort: {
    description: 'One port of a service.',
    fields: {
      appProtocol: f('string', 'The application protocol, as a hint for implementations.'),
      name: f('string', 'The port\'s name; required when the service has several ports.'),
      nodePort: f('integer', 'For NodePort and LoadBalancer services: the port every node accepts the traffic on. Allocated when left out.'),
      port: f('integer', 'The port the service exposes.', { required: true }),
      protocol: f('string', 'The protocol. Defaults to TCP.', { enum: PROTOCOLS, default: 'TCP' }),
      targetPort: f('int-or-string', 'The pods\' port: a number or the name of a container port. Defaults to port.')
    }
  },
  ServiceStatus: {
    description: 'The observed state of a service.',
    fields: {
      conditions: f('[]object', 'The service\'s conditions.', { keys: ['type'] }),
      loadBalancer: f('LoadBalancerStatus', 'The load balancer\'s addresses, when there is one.')
    }
  },
  LoadBalancerStatus: {
    description: 'Addresses of a load balancer.',
    fields: { ingress: f('[]LoadBalancerIngress', 'The addresses at which the load balancer is reached.') }
  },
  LoadBalancerIngress: {
    description: 'One address of a load balancer.',
    fields: {
      hostname: f('string', 'A DNS name.'),
      ip: f('string', 'An IP address.'),
      ipMode: f('string', 'How traffic to the IP reaches the service (VIP or Proxy).'),
      ports: f('[]object', 'Status of the load balancer\'s ports.')
    }
  },
  Endpoints: {
    description: 'The addresses and ports that implement a service, grouped in subsets. Written by the endpoints controller for services with a selector.',
    gvk: { group: '', version: 'v1', kind: 'Endpoints' },
    fields: { ...kindFields(), subsets: f('[]EndpointSubset', 'Groups of addresses that share a set of ports.') }
  },
  EndpointSubset: {
    description: 'Addresses that share the same ports.',
    fields: {
      addresses: f('[]EndpointAddress', 'Ready addresses.'),
      notReadyAddresses: f('[]EndpointAddress', 'Addresses of pods that are not ready yet.'),
      ports: f('[]EndpointPort', 'The ports at these addresses.')
    }
  },
  EndpointAddress: {
    description: 'One endpoint address.',
    atomic: true,
    fields: {
      hostname: f('string', 'The endpoint\'s hostname.'),
      ip: f('string', 'The endpoint\'s IP address.', { required: true }),
      nodeName: f('string', 'The node the endpoint is on.'),
      targetRef: f('ObjectReference', 'The object (a pod) behind the address.')
    }
  },
  EndpointPort: {
    description: 'One port of an endpoint subset.',
    atomic: true,
    fields: {
      appProtocol: f('string', 'The application protocol.'),
      name: f('string', 'Matches the name of the service port.'),
      port: f('integer', 'The port number.', { required: true }),
      protocol: f('string', 'The protocol. Defaults to TCP.', { enum: PROTOCOLS, default: 'TCP' })
    }
  },
  ObjectReference: {
    description: 'A reference to another object, possibly to a field of it.',
    atomic: true,
    fields: {
      apiVersion: f('string', 'apiVersion of the object.'),
      fieldPath: f('string', 'A field inside the object, like spec.containers{web}.'),
      kind: f('string', 'Kind of the object.'),
      name: f('string', 'Name of the object.'),
      namespace: f('string', 'Namespace of the object.'),
      resourceVersion: f('string', 'The resourceVersion the reference is about.'),
      uid: f('string', 'uid of the object.')
    }
  },
  Event: {
    description: 'A report of something that happened to an object (Scheduled, Pulled, Started, BackOff, …), kept for a while.',
    gvk: { group: '', version: 'v1', kind: 'Event' },
    fields: {
      ...kindFields(),
      action: f('string', 'What was done, or failed, to the object.'),
      count: f('integer', 'How many times this event happened.'),
      eventTime: f('time', 'When the event first happened, precisely.'),
      firstTimestamp: f('time', 'When the event was first recorded.'),
      involvedObject: f('ObjectReference', 'The object the event is about.', { required: true }),
      lastTimestamp: f('time', 'When the event was last recorded.'),
      message: f('string', 'What happened, for people.'),
      reason: f('string', 'Why, in one CamelCase word.'),
      related: f('ObjectReference', 'A second object involved.'),
      reportingComponent: f('string', 'The component that reported the event.'),
      reportingInstance: f('string', 'The instance of that component.'),
      series: f('object', 'Data about a series of repeated events.'),
      source: f('EventSource', 'The component that reported the event (deprecated form).'),
      type: f('string', 'Normal or Warning.', { enum: ['Normal', 'Warning'] })
    }
  },
  EventSource: {
    description: 'Where an event comes from.',
    fields: {
      component: f('string', 'The component.'),
      host: f('string', 'The node it runs on.')
    }
  }
}
