// Schemas of a pod's containers and volumes (core/v1): Container and its ports,
// environment, resources, probes and mounts; Volume and the common volume sources.

import { f, type TypeDef } from './dsl.ts'

const PROTOCOLS = ['SCTP', 'TCP', 'UDP']

const keySelector = (what: string): TypeDef => ({
  description: `Selects one key of a ${what}.`,
  atomic: true,
  fields: {
    key: f('string', `The key to read from the ${what}.`, { required: true }),
    name: f('string', `Name of the ${what}, in the pod's namespace.`),
    optional: f('boolean', `Whether the pod may start when the ${what} or the key is missing.`)
  }
})

const sourceRef = (what: string): TypeDef => ({
  description: `Takes every key of a ${what} as an environment variable.`,
  fields: {
    name: f('string', `Name of the ${what}, in the pod's namespace.`),
    optional: f('boolean', `Whether the pod may start when the ${what} is missing.`)
  }
})

export const CONTAINER_TYPES: Readonly<Record<string, TypeDef>> = {
  Container: {
    description: 'One container of a pod: the image, what it runs, and its resources, ports, probes and mounts.',
    fields: {
      args: f('[]string', 'Arguments to the entrypoint; the image\'s CMD when left out. $(VAR) expands environment variables.'),
      command: f('[]string', 'The entrypoint, not run in a shell; the image\'s ENTRYPOINT when left out.'),
      env: f('[]EnvVar', 'Environment variables to set in the container.', { keys: ['name'] }),
      envFrom: f('[]EnvFromSource', 'Sources whose every key becomes an environment variable.'),
      image: f('string', 'The container image to run.'),
      imagePullPolicy: f('string', 'When to pull the image. Defaults to Always for :latest or untagged images, IfNotPresent otherwise.', { enum: ['Always', 'IfNotPresent', 'Never'] }),
      lifecycle: f('object', 'Actions run right after the container starts and right before it stops.'),
      livenessProbe: f('Probe', 'A check that restarts the container when it fails.'),
      name: f('string', 'The container\'s name, unique in the pod (a DNS label).', { required: true }),
      ports: f('[]ContainerPort', 'Ports the container listens on. Informational, but names can be referred to by services and probes.', { keys: ['containerPort', 'protocol'] }),
      readinessProbe: f('Probe', 'A check that takes the pod out of service endpoints while it fails.'),
      resizePolicy: f('[]object', 'How the container reacts to a change of its resources.'),
      resources: f('ResourceRequirements', 'CPU and memory the container requests and may not exceed.'),
      restartPolicy: f('string', 'For init containers only: Always makes a sidecar that keeps running.'),
      securityContext: f('object', 'Security settings of this container (privileges, capabilities, user, read-only root).'),
      startupProbe: f('Probe', 'A check that holds the other probes back until the container has started.'),
      stdin: f('boolean', 'Keep a standard input open for the container.'),
      stdinOnce: f('boolean', 'Close standard input after the first attach ends.'),
      terminationMessagePath: f('string', 'File the container writes its termination message to. Defaults to /dev/termination-log.'),
      terminationMessagePolicy: f('string', 'Where the termination message comes from. Defaults to File.', { enum: ['FallbackToLogsOnError', 'File'] }),
      tty: f('boolean', 'Give the container a terminal (needs stdin).'),
      volumeDevices: f('[]object', 'Block devices the container uses.', { keys: ['devicePath'] }),
      volumeMounts: f('[]VolumeMount', 'Volumes mounted into the container\'s filesystem.', { keys: ['mountPath'] }),
      workingDir: f('string', 'The working directory; the image\'s when left out.')
    }
  },
  ContainerPort: {
    description: 'A port a container listens on.',
    fields: {
      containerPort: f('integer', 'The port number, 1-65535.', { required: true }),
      hostIP: f('string', 'The node address to bind the host port on.'),
      hostPort: f('integer', 'A port on the node forwarded to the container port.'),
      name: f('string', 'A name for the port (an IANA service name) that services and probes can use.'),
      protocol: f('string', 'The protocol. Defaults to TCP.', { enum: PROTOCOLS, default: 'TCP' })
    }
  },
  EnvVar: {
    description: 'An environment variable: a literal value or a value taken from elsewhere.',
    fields: {
      name: f('string', 'The variable\'s name.', { required: true }),
      value: f('string', 'The value; $(VAR) expands variables defined before it.'),
      valueFrom: f('EnvVarSource', 'Where the value comes from, when not literal.')
    }
  },
  EnvVarSource: {
    description: 'The source of an environment variable\'s value: one of its fields.',
    fields: {
      configMapKeyRef: f('ConfigMapKeySelector', 'A key of a ConfigMap.'),
      fieldRef: f('ObjectFieldSelector', 'A field of the pod (metadata.name, status.podIP, …).'),
      resourceFieldRef: f('ResourceFieldSelector', 'A resource limit or request of a container.'),
      secretKeyRef: f('SecretKeySelector', 'A key of a Secret.')
    }
  },
  ConfigMapKeySelector: keySelector('ConfigMap'),
  SecretKeySelector: keySelector('Secret'),
  ObjectFieldSelector: {
    description: 'Selects a field of the pod.',
    atomic: true,
    fields: {
      apiVersion: f('string', 'The version the field path is written in. Defaults to v1.'),
      fieldPath: f('string', 'The path of the field, like metadata.name.', { required: true })
    }
  },
  ResourceFieldSelector: {
    description: 'Selects a resource limit or request of a container.',
    atomic: true,
    fields: {
      containerName: f('string', 'The container; required in volumes, optional in env.'),
      divisor: f('quantity', 'The unit the value is expressed in. Defaults to 1.'),
      resource: f('string', 'The resource, like limits.cpu or requests.memory.', { required: true })
    }
  },
  EnvFromSource: {
    description: 'A ConfigMap or Secret whose every key becomes an environment variable.',
    fields: {
      configMapRef: f('ConfigMapEnvSource', 'The ConfigMap to take keys from.'),
      prefix: f('string', 'A prefix put before every key.'),
      secretRef: f('SecretEnvSource', 'The Secret to take keys from.')
    }
  },
  ConfigMapEnvSource: sourceRef('ConfigMap'),
  SecretEnvSource: sourceRef('Secret'),
  ResourceRequirements: {
    description: 'Compute resources: what the container is guaranteed (requests) and may not exceed (limits).',
    fields: {
      claims: f('[]object', 'Dynamic resource claims of the pod this container uses.', { keys: ['name'] }),
      limits: f('{}quantity', 'The most the container may use, by resource name (cpu, memory).'),
      requests: f('{}quantity', 'What the scheduler reserves for the container, by resource name. Defaults to the limits.')
    }
  },
  Probe: {
    description: 'A periodic check of a container: a command, an HTTP GET, a TCP connection or a gRPC call.',
    fields: {
      exec: f('ExecAction', 'Run a command in the container; exit status 0 is success.'),
      failureThreshold: f('integer', 'Consecutive failures after which the probe counts as failed. Defaults to 3.'),
      grpc: f('object', 'Call the gRPC health service on a port.'),
      httpGet: f('HTTPGetAction', 'Send an HTTP GET; a status from 200 to 399 is success.'),
      initialDelaySeconds: f('integer', 'Seconds after the container starts before the first check.'),
      periodSeconds: f('integer', 'Seconds between checks. Defaults to 10.'),
      successThreshold: f('integer', 'Consecutive successes after a failure for the probe to pass. Defaults to 1.'),
      tcpSocket: f('TCPSocketAction', 'Open a TCP connection; success if it connects.'),
      terminationGracePeriodSeconds: f('integer', 'Grace period when a failed probe stops the container.'),
      timeoutSeconds: f('integer', 'Seconds a check may take. Defaults to 1.')
    }
  },
  ExecAction: {
    description: 'A command run inside the container.',
    fields: { command: f('[]string', 'The command and its arguments, not run in a shell.') }
  },
  HTTPGetAction: {
    description: 'An HTTP GET request to the container.',
    fields: {
      host: f('string', 'Host to connect to. Defaults to the pod IP.'),
      httpHeaders: f('[]HTTPHeader', 'Extra request headers.'),
      path: f('string', 'The request path. Defaults to /.'),
      port: f('int-or-string', 'The port number or the name of a container port.', { required: true }),
      scheme: f('string', 'The scheme. Defaults to HTTP.', { enum: ['HTTP', 'HTTPS'] })
    }
  },
  HTTPHeader: {
    description: 'One HTTP header.',
    fields: {
      name: f('string', 'The header name.', { required: true }),
      value: f('string', 'The header value.', { required: true })
    }
  },
  TCPSocketAction: {
    description: 'A TCP connection to the container.',
    fields: {
      host: f('string', 'Host to connect to. Defaults to the pod IP.'),
      port: f('int-or-string', 'The port number or the name of a container port.', { required: true })
    }
  },
  VolumeMount: {
    description: 'A volume mounted into a container.',
    fields: {
      mountPath: f('string', 'Where in the container the volume appears.', { required: true }),
      mountPropagation: f('string', 'How mounts propagate between the node and the container.'),
      name: f('string', 'The name of a volume of the pod.', { required: true }),
      readOnly: f('boolean', 'Mount read-only.'),
      recursiveReadOnly: f('string', 'Whether read-only applies to submounts too.'),
      subPath: f('string', 'Mount only this path inside the volume.'),
      subPathExpr: f('string', 'Like subPath, with $(VAR) expanded from the environment.')
    }
  },
  Volume: {
    description: 'A named volume of the pod, with exactly one source. Other volume sources Kubernetes knows are accepted as given.',
    open: true,
    fields: {
      configMap: f('ConfigMapVolumeSource', 'Files made from the keys of a ConfigMap.'),
      downwardAPI: f('object', 'Files made from fields of the pod.'),
      emptyDir: f('EmptyDirVolumeSource', 'An empty directory that lives as long as the pod.'),
      hostPath: f('HostPathVolumeSource', 'A file or directory of the node.'),
      name: f('string', 'The volume\'s name, unique in the pod (a DNS label).', { required: true }),
      persistentVolumeClaim: f('PersistentVolumeClaimVolumeSource', 'The volume bound to a PersistentVolumeClaim.'),
      projected: f('object', 'Several sources (secrets, config maps, tokens) in one directory.'),
      secret: f('SecretVolumeSource', 'Files made from the keys of a Secret.')
    }
  },
  ConfigMapVolumeSource: {
    description: 'Files made from the keys of a ConfigMap.',
    fields: {
      defaultMode: f('integer', 'File mode bits of the files. Defaults to 0644.'),
      items: f('[]KeyToPath', 'Only these keys, at these paths. All keys, each as a file of its name, when left out.'),
      name: f('string', 'The ConfigMap\'s name.'),
      optional: f('boolean', 'Whether the pod may start without the ConfigMap.')
    }
  },
  SecretVolumeSource: {
    description: 'Files made from the keys of a Secret.',
    fields: {
      defaultMode: f('integer', 'File mode bits of the files. Defaults to 0644.'),
      items: f('[]KeyToPath', 'Only these keys, at these paths. All keys when left out.'),
      optional: f('boolean', 'Whether the pod may start without the Secret.'),
      secretName: f('string', 'The Secret\'s name, in the pod\'s namespace.')
    }
  },
  KeyToPath: {
    description: 'A key projected to a file path.',
    fields: {
      key: f('string', 'The key.', { required: true }),
      mode: f('integer', 'File mode bits of this file.'),
      path: f('string', 'The relative path of the file.', { required: true })
    }
  },
  EmptyDirVolumeSource: {
    description: 'An empty directory created with the pod.',
    fields: {
      medium: f('string', 'Where it is stored: "" for the node\'s disk, Memory for a tmpfs.'),
      sizeLimit: f('quantity', 'The most the directory may hold.')
    }
  },
  HostPathVolumeSource: {
    description: 'A path of the node\'s filesystem.',
    fields: {
      path: f('string', 'The path on the node.', { required: true }),
      type: f('string', 'What must be at the path (Directory, File, DirectoryOrCreate, …). Not checked when empty.')
    }
  },
  PersistentVolumeClaimVolumeSource: {
    description: 'The volume bound to a PersistentVolumeClaim of the pod\'s namespace.',
    fields: {
      claimName: f('string', 'The claim\'s name.', { required: true }),
      readOnly: f('boolean', 'Mount read-only.')
    }
  }
}
