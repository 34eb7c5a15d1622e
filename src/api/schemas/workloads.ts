// Schemas of apps/v1 Deployment and ReplicaSet, and of networking.k8s.io/v1 Ingress.

import { f, type TypeDef } from './dsl.ts'
import { kindFields } from './meta.ts'

const CONDITION = (what: string): TypeDef => ({
  description: `One condition of a ${what}.`,
  fields: {
    lastTransitionTime: f('time', 'When the status last changed.'),
    ...(what === 'deployment' ? { lastUpdateTime: f('time', 'When the condition was last updated.') } : {}),
    message: f('string', 'Details, for people.'),
    reason: f('string', 'Why, in one CamelCase word.'),
    status: f('string', 'True, False or Unknown.', { required: true }),
    type: f('string', 'The condition.', { required: true })
  }
})

const SELECTOR = f('LabelSelector', 'Labels of the pods this controller manages; must match the template\'s labels. Cannot be changed.', { required: true })
const MIN_READY = f('integer', 'Seconds a new pod must be ready, without a container crashing, before it counts as available. Defaults to 0.')

export const APPS_TYPES: Readonly<Record<string, TypeDef>> = {
  Deployment: {
    description: 'Declarative updates of a set of identical pods: a Deployment rolls its pods from one template to the next through ReplicaSets.',
    gvk: { group: 'apps', version: 'v1', kind: 'Deployment' },
    fields: kindFields(
      f('DeploymentSpec', 'The desired pods and how to roll from one template to the next.'),
      f('DeploymentStatus', 'The most recently observed state of the rollout. Read-only.')
    )
  },
  DeploymentSpec: {
    description: 'The desired state of a deployment.',
    fields: {
      minReadySeconds: MIN_READY,
      paused: f('boolean', 'While true, template changes do not start a rollout.'),
      progressDeadlineSeconds: f('integer', 'Seconds a rollout may go without progress before it is reported as failed. Defaults to 600.'),
      replicas: f('integer', 'How many pods the deployment should run. Defaults to 1.'),
      revisionHistoryLimit: f('integer', 'How many old ReplicaSets to keep for rollbacks. Defaults to 10.'),
      selector: SELECTOR,
      strategy: f('DeploymentStrategy', 'How old pods are replaced by new ones.'),
      template: f('PodTemplateSpec', 'The pods the deployment runs. A change to it starts a rollout.', { required: true })
    }
  },
  DeploymentStrategy: {
    description: 'How a deployment replaces its pods.',
    fields: {
      rollingUpdate: f('RollingUpdateDeployment', 'Settings of a rolling update.'),
      type: f('string', 'Recreate stops all old pods first; RollingUpdate replaces them gradually. Defaults to RollingUpdate.', { enum: ['Recreate', 'RollingUpdate'] })
    }
  },
  RollingUpdateDeployment: {
    description: 'How fast a rolling update goes.',
    fields: {
      maxSurge: f('int-or-string', 'How many pods (a number or a percentage of replicas) may run above the desired count. Defaults to 25%.'),
      maxUnavailable: f('int-or-string', 'How many pods (a number or a percentage) may be unavailable during the update. Defaults to 25%.')
    }
  },
  DeploymentStatus: {
    description: 'The observed state of a deployment.',
    fields: {
      availableReplicas: f('integer', 'Pods available for at least minReadySeconds.'),
      collisionCount: f('integer', 'Counts name collisions of new ReplicaSets.'),
      conditions: f('[]DeploymentCondition', 'Available, Progressing and ReplicaFailure.', { keys: ['type'] }),
      observedGeneration: f('integer', 'The generation the controller last acted on.'),
      readyReplicas: f('integer', 'Pods that are ready.'),
      replicas: f('integer', 'Pods of the deployment, old and new.'),
      unavailableReplicas: f('integer', 'Pods still needed for the deployment to be fully available.'),
      updatedReplicas: f('integer', 'Pods from the current template.')
    }
  },
  DeploymentCondition: CONDITION('deployment'),
  ReplicaSet: {
    description: 'Keeps a given number of identical pods running. Deployments manage ReplicaSets; they are rarely used directly.',
    gvk: { group: 'apps', version: 'v1', kind: 'ReplicaSet' },
    fields: kindFields(
      f('ReplicaSetSpec', 'The desired pods.'),
      f('ReplicaSetStatus', 'The most recently observed pods. Read-only.')
    )
  },
  ReplicaSetSpec: {
    description: 'The desired state of a ReplicaSet.',
    fields: {
      minReadySeconds: MIN_READY,
      replicas: f('integer', 'How many pods to run. Defaults to 1.'),
      selector: SELECTOR,
      template: f('PodTemplateSpec', 'The pods created when too few match the selector.')
    }
  },
  ReplicaSetStatus: {
    description: 'The observed state of a ReplicaSet.',
    fields: {
      availableReplicas: f('integer', 'Pods available for at least minReadySeconds.'),
      conditions: f('[]ReplicaSetCondition', 'The ReplicaSet\'s conditions.', { keys: ['type'] }),
      fullyLabeledReplicas: f('integer', 'Pods whose labels match the template\'s.'),
      observedGeneration: f('integer', 'The generation the controller last acted on.'),
      readyReplicas: f('integer', 'Pods that are ready.'),
      replicas: f('integer', 'Pods that match the selector.', { required: true })
    }
  },
  ReplicaSetCondition: CONDITION('ReplicaSet')
}

export const NETWORKING_TYPES: Readonly<Record<string, TypeDef>> = {
  Ingress: {
    description: 'HTTP routes from outside the cluster to services, by host and path.',
    gvk: { group: 'networking.k8s.io', version: 'v1', kind: 'Ingress' },
    fields: kindFields(
      f('IngressSpec', 'The routes and the default backend.'),
      f('IngressStatus', 'The addresses the ingress is reached at. Read-only.')
    )
  },
  IngressSpec: {
    description: 'The routing rules of an ingress.',
    fields: {
      defaultBackend: f('IngressBackend', 'Where requests that match no rule go.'),
      ingressClassName: f('string', 'The IngressClass (the controller) that implements this ingress.'),
      rules: f('[]IngressRule', 'Host and path rules, tried in order of specificity.'),
      tls: f('[]IngressTLS', 'TLS settings by host.')
    }
  },
  IngressBackend: {
    description: 'Where matching requests go: a service port (or another resource).',
    fields: {
      resource: f('object', 'Another object of the ingress\'s namespace, instead of a service.'),
      service: f('IngressServiceBackend', 'A service and a port of it.')
    }
  },
  IngressServiceBackend: {
    description: 'A service port that receives traffic.',
    fields: {
      name: f('string', 'The service\'s name, in the ingress\'s namespace.', { required: true }),
      port: f('ServiceBackendPort', 'The service port, by number or name.')
    }
  },
  ServiceBackendPort: {
    description: 'A service port by number or by name (one of the two).',
    fields: {
      name: f('string', 'The port\'s name.'),
      number: f('integer', 'The port\'s number.')
    }
  },
  IngressRule: {
    description: 'The paths of one host (or of every host, when host is empty).',
    fields: {
      host: f('string', 'The host name requests must carry; may start with a * wildcard label.'),
      http: f('HTTPIngressRuleValue', 'The HTTP paths of the host.')
    }
  },
  HTTPIngressRuleValue: {
    description: 'A list of HTTP paths.',
    fields: { paths: f('[]HTTPIngressPath', 'Paths and their backends.', { required: true }) }
  },
  HTTPIngressPath: {
    description: 'A path and where its requests go.',
    fields: {
      backend: f('IngressBackend', 'Where matching requests go.', { required: true }),
      path: f('string', 'The path, starting with /.'),
      pathType: f('string', 'How the path matches: Exact, Prefix (by path element) or ImplementationSpecific.', { required: true, enum: ['Exact', 'ImplementationSpecific', 'Prefix'] })
    }
  },
  IngressTLS: {
    description: 'TLS for some hosts.',
    fields: {
      hosts: f('[]string', 'Hosts the certificate covers.'),
      secretName: f('string', 'The Secret holding the certificate and key.')
    }
  },
  IngressStatus: {
    description: 'The observed state of an ingress.',
    fields: { loadBalancer: f('IngressLoadBalancerStatus', 'The addresses the ingress is reached at.') }
  },
  IngressLoadBalancerStatus: {
    description: 'Addresses of an ingress\'s load balancer.',
    fields: { ingress: f('[]IngressLoadBalancerIngress', 'The addresses.') }
  },
  IngressLoadBalancerIngress: {
    description: 'One address of an ingress.',
    fields: {
      hostname: f('string', 'A DNS name.'),
      ip: f('string', 'An IP address.'),
      ports: f('[]object', 'Status of the ports.')
    }
  }
}
