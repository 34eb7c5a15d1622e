// Schemas of Pod (core/v1) and the types of its spec and status, shared by the pod
// templates of Deployment and ReplicaSet (containers and volumes: container.ts). Rarely used
// sub-structures (affinity, security contexts, DNS config) are free-form objects here.

import { f, type TypeDef } from './dsl.ts'
import { kindFields } from './meta.ts'

export const POD_TYPES: Readonly<Record<string, TypeDef>> = {
  Pod: {
    description: 'A group of containers that run together on one node, sharing network and volumes. The smallest unit the scheduler places.',
    gvk: { group: '', version: 'v1', kind: 'Pod' },
    fields: kindFields(
      f('PodSpec', 'The desired behaviour of the pod: its containers, volumes and scheduling constraints.'),
      f('PodStatus', 'The most recently observed state of the pod, written by the kubelet. Read-only.')
    )
  },
  PodTemplateSpec: {
    description: 'The pods a controller creates: labels and annotations for them, and their spec.',
    fields: {
      metadata: f('ObjectMeta', 'Metadata of the pods created from the template; its labels must match the controller\'s selector.'),
      spec: f('PodSpec', 'The spec of the pods created from the template.')
    }
  },
  PodSpec: {
    description: 'What a pod runs and how it is placed.',
    fields: {
      activeDeadlineSeconds: f('integer', 'Seconds the pod may run (counted from its start) before the kubelet stops it.'),
      affinity: f('object', 'Node and pod affinity and anti-affinity rules for scheduling.'),
      automountServiceAccountToken: f('boolean', 'Whether a service account token is mounted into the pod.'),
      containers: f('[]Container', 'The containers of the pod. At least one; cannot be added or removed once the pod exists.', { required: true, keys: ['name'] }),
      dnsConfig: f('object', 'Extra DNS settings (nameservers, searches, options) merged into the pod\'s resolver configuration.'),
      dnsPolicy: f('string', 'How the pod resolves names. Defaults to ClusterFirst.', { enum: ['ClusterFirst', 'ClusterFirstWithHostNet', 'Default', 'None'] }),
      enableServiceLinks: f('boolean', 'Whether environment variables describing the services of the namespace are injected. Defaults to true.'),
      ephemeralContainers: f('[]object', 'Debugging containers added to a running pod.', { keys: ['name'] }),
      hostAliases: f('[]HostAlias', 'Extra entries for the pod\'s /etc/hosts.', { keys: ['ip'] }),
      hostIPC: f('boolean', 'Use the node\'s IPC namespace.'),
      hostNetwork: f('boolean', 'Use the node\'s network namespace: the pod sees the node\'s interfaces and ports.'),
      hostPID: f('boolean', 'Use the node\'s process namespace.'),
      hostUsers: f('boolean', 'Use the node\'s user namespace. Defaults to true.'),
      hostname: f('string', 'The pod\'s hostname. Defaults to the pod\'s name.'),
      imagePullSecrets: f('[]LocalObjectReference', 'Secrets with registry credentials for pulling the images.', { keys: ['name'] }),
      initContainers: f('[]Container', 'Containers run one after the other, each to completion, before the regular containers start.', { keys: ['name'] }),
      nodeName: f('string', 'The node the pod is bound to. Set by the scheduler; a pod created with it skips scheduling.'),
      nodeSelector: f('{}string', 'Labels a node must have for the pod to be placed on it.', { atomic: true }),
      os: f('object', 'The operating system the containers need (linux or windows).'),
      overhead: f('{}quantity', 'Resources the pod\'s sandbox takes on top of its containers.'),
      preemptionPolicy: f('string', 'Whether the pod may preempt lower-priority pods.', { enum: ['Never', 'PreemptLowerPriority'] }),
      priority: f('integer', 'Scheduling priority; higher goes first. Filled from priorityClassName.'),
      priorityClassName: f('string', 'Name of the PriorityClass giving the pod its priority.'),
      readinessGates: f('[]object', 'Extra conditions that must be True for the pod to count as ready.'),
      resourceClaims: f('[]object', 'Dynamic resources the pod claims.', { keys: ['name'] }),
      restartPolicy: f('string', 'What happens when a container exits. Defaults to Always.', { enum: ['Always', 'Never', 'OnFailure'] }),
      runtimeClassName: f('string', 'The RuntimeClass to run the pod with.'),
      schedulerName: f('string', 'The scheduler that places the pod. Defaults to default-scheduler.'),
      schedulingGates: f('[]object', 'While any gate remains, the pod is not scheduled.', { keys: ['name'] }),
      securityContext: f('object', 'Security settings for every container of the pod (user and group ids, fsGroup, seccomp).'),
      serviceAccount: f('string', 'Deprecated alias of serviceAccountName.'),
      serviceAccountName: f('string', 'The service account the pod runs as.'),
      setHostnameAsFQDN: f('boolean', 'Use the fully qualified domain name as the hostname.'),
      shareProcessNamespace: f('boolean', 'One process namespace for all containers of the pod.'),
      subdomain: f('string', 'With hostname, gives the pod the name <hostname>.<subdomain>.<namespace>.svc.'),
      terminationGracePeriodSeconds: f('integer', 'Seconds between the stop signal and the kill when the pod is deleted. Defaults to 30.'),
      tolerations: f('[]Toleration', 'Taints of nodes the pod accepts.'),
      topologySpreadConstraints: f('[]TopologySpreadConstraint', 'How matching pods spread across zones, nodes or other topology domains.', { keys: ['topologyKey', 'whenUnsatisfiable'] }),
      volumes: f('[]Volume', 'Volumes the containers may mount.', { keys: ['name'] })
    }
  },
  LocalObjectReference: {
    description: 'Names an object in the same namespace.',
    atomic: true,
    fields: { name: f('string', 'The object\'s name.') }
  },
  HostAlias: {
    description: 'An /etc/hosts entry.',
    fields: {
      hostnames: f('[]string', 'Names for the address.'),
      ip: f('string', 'The address.', { required: true })
    }
  },
  Toleration: {
    description: 'Lets the pod be placed on (or stay on) nodes with a matching taint.',
    fields: {
      effect: f('string', 'The taint effect to match; all effects when empty.', { enum: ['NoExecute', 'NoSchedule', 'PreferNoSchedule'] }),
      key: f('string', 'The taint key to match; with operator Exists and no key, every taint matches.'),
      operator: f('string', 'How the value is compared. Defaults to Equal.', { enum: ['Equal', 'Exists'] }),
      tolerationSeconds: f('integer', 'For NoExecute: how long the pod stays once the taint appears. Forever when unset.'),
      value: f('string', 'The taint value to match (with Equal).')
    }
  },
  TopologySpreadConstraint: {
    description: 'How pods that match a selector spread over topology domains.',
    fields: {
      labelSelector: f('LabelSelector', 'The pods counted.'),
      matchLabelKeys: f('[]string', 'Label keys whose values from the incoming pod narrow the selector.'),
      maxSkew: f('integer', 'The most the number of matching pods may differ between domains.', { required: true }),
      minDomains: f('integer', 'The least number of domains to count.'),
      nodeAffinityPolicy: f('string', 'Whether node affinity limits the domains counted.'),
      nodeTaintsPolicy: f('string', 'Whether node taints limit the domains counted.'),
      topologyKey: f('string', 'The node label that defines a domain (zone, hostname).', { required: true }),
      whenUnsatisfiable: f('string', 'What to do when the constraint cannot be met.', { required: true, enum: ['DoNotSchedule', 'ScheduleAnyway'] })
    }
  },
  PodStatus: {
    description: 'What the kubelet last observed of the pod.',
    fields: {
      conditions: f('[]PodCondition', 'The pod\'s conditions (PodScheduled, Initialized, ContainersReady, Ready).', { keys: ['type'] }),
      containerStatuses: f('[]ContainerStatus', 'One status per container.'),
      ephemeralContainerStatuses: f('[]ContainerStatus', 'One status per ephemeral container.'),
      hostIP: f('string', 'The address of the node the pod runs on.'),
      hostIPs: f('[]object', 'The addresses of the node the pod runs on.', { keys: ['ip'] }),
      initContainerStatuses: f('[]ContainerStatus', 'One status per init container.'),
      message: f('string', 'Why the pod is in its phase, for people.'),
      nominatedNodeName: f('string', 'The node a preempting pod is expected to go to.'),
      phase: f('string', 'Where the pod is in its lifecycle.', { enum: ['Failed', 'Pending', 'Running', 'Succeeded', 'Unknown'] }),
      podIP: f('string', 'The pod\'s address.'),
      podIPs: f('[]object', 'The pod\'s addresses.', { keys: ['ip'] }),
      qosClass: f('string', 'The quality of service class from the resources.', { enum: ['BestEffort', 'Burstable', 'Guaranteed'] }),
      reason: f('string', 'Why the pod is in its phase, in one CamelCase word.'),
      startTime: f('time', 'When the kubelet accepted the pod.')
    }
  },
  PodCondition: {
    description: 'One condition of a pod.',
    fields: {
      lastProbeTime: f('time', 'When the condition was last checked.'),
      lastTransitionTime: f('time', 'When the status last changed.'),
      message: f('string', 'Details, for people.'),
      reason: f('string', 'Why, in one CamelCase word.'),
      status: f('string', 'True, False or Unknown.', { required: true }),
      type: f('string', 'The condition.', { required: true })
    }
  },
  ContainerStatus: {
    description: 'What the kubelet last observed of one container.',
    fields: {
      containerID: f('string', 'The runtime\'s id of the container, as <runtime>://<id>.'),
      image: f('string', 'The image the container runs.', { required: true }),
      imageID: f('string', 'The id of that image.', { required: true }),
      lastState: f('object', 'The state of the previous run of the container.'),
      name: f('string', 'The container\'s name.', { required: true }),
      ready: f('boolean', 'Whether the container passes its readiness probe.', { required: true }),
      restartCount: f('integer', 'How many times the container was restarted.', { required: true }),
      started: f('boolean', 'Whether the container passed its startup probe.'),
      state: f('object', 'The current state: waiting, running or terminated, with details.')
    }
  }
}
