/**
 * A checker for the Kubernetes manifests in deploy/, since no cluster runs here: kinds and API
 * versions, required fields, security contexts on every container, probes, resources,
 * secrets only by reference, and that each Deployment's environment passes the portal's own
 * production configuration check (lib/config.ts). docs/decisions/0017-kubernetes-manifests.md.
 */
import path from "node:path";
import { z } from "zod";
import { auditAnchoringProblems, loadConfig } from "../config";
import { QUEUE_NAMES } from "../queue/definitions";
import { SECRET_VARIABLES } from "../secret-files";

export type TManifest = { file: string; doc: Record<string, unknown> };

export const API_VERSIONS: Record<string, string> = {
  Namespace: "v1",
  ConfigMap: "v1",
  Service: "v1",
  Deployment: "apps/v1",
  PodDisruptionBudget: "policy/v1",
  NetworkPolicy: "networking.k8s.io/v1",
};

const ZLabels = z.record(z.string(), z.string());
const ZMeta = z.looseObject({ name: z.string().min(1), namespace: z.string().optional(), labels: ZLabels.optional() });
const ZProbe = z.looseObject({
  httpGet: z.looseObject({ path: z.string(), port: z.union([z.string(), z.number()]) }).optional(),
  tcpSocket: z.looseObject({ port: z.union([z.string(), z.number()]) }).optional(),
  exec: z.looseObject({ command: z.array(z.string()) }).optional(),
});
const ZEnvVar = z.looseObject({
  name: z.string(),
  value: z.string().optional(),
  valueFrom: z
    .looseObject({ secretKeyRef: z.looseObject({ name: z.string(), key: z.string() }).optional() })
    .optional(),
});
const ZQuantities = z.looseObject({ cpu: z.union([z.string(), z.number()]), memory: z.string() });
const ZContainer = z.looseObject({
  name: z.string(),
  image: z.string(),
  command: z.array(z.string()).optional(),
  ports: z.array(z.looseObject({ name: z.string().optional(), containerPort: z.number() })).optional(),
  env: z.array(ZEnvVar).optional(),
  envFrom: z
    .array(
      z.looseObject({
        configMapRef: z.looseObject({ name: z.string() }).optional(),
        secretRef: z.looseObject({ name: z.string() }).optional(),
      }),
    )
    .optional(),
  readinessProbe: ZProbe.optional(),
  livenessProbe: ZProbe.optional(),
  resources: z.looseObject(
    { requests: ZQuantities, limits: ZQuantities },
    { error: "resources.requests and resources.limits (cpu, memory) are required" },
  ),
  securityContext: z.looseObject({
    runAsNonRoot: z.boolean().optional(),
    allowPrivilegeEscalation: z.boolean().optional(),
    readOnlyRootFilesystem: z.boolean().optional(),
    capabilities: z.looseObject({ drop: z.array(z.string()).optional() }).optional(),
    seccompProfile: z.looseObject({ type: z.string() }).optional(),
  }),
  volumeMounts: z
    .array(z.looseObject({ name: z.string(), mountPath: z.string(), readOnly: z.boolean().optional() }))
    .optional(),
});
type TContainer = z.infer<typeof ZContainer>;
const ZVolume = z.looseObject({
  name: z.string(),
  secret: z
    .looseObject({
      secretName: z.string(),
      items: z.array(z.looseObject({ key: z.string(), path: z.string() })).optional(),
    })
    .optional(),
  emptyDir: z.looseObject({}).optional(),
});
const ZDeployment = z.looseObject({
  metadata: ZMeta,
  spec: z.looseObject({
    replicas: z.number().int().min(1),
    selector: z.looseObject({ matchLabels: ZLabels }),
    template: z.looseObject({
      metadata: z.looseObject({ labels: ZLabels }),
      spec: z.looseObject({
        securityContext: z.looseObject({
          runAsNonRoot: z.boolean().optional(),
          runAsUser: z.number().optional(),
          seccompProfile: z.looseObject({ type: z.string() }).optional(),
        }),
        initContainers: z.array(ZContainer).optional(),
        containers: z.array(ZContainer).min(1),
        volumes: z.array(ZVolume).optional(),
      }),
    }),
  }),
});
type TDeployment = z.infer<typeof ZDeployment>;
const ZConfigMap = z.looseObject({ metadata: ZMeta, data: z.record(z.string(), z.string()) });
const ZService = z.looseObject({
  metadata: ZMeta,
  spec: z.looseObject({
    selector: ZLabels,
    ports: z.array(z.looseObject({ port: z.number(), targetPort: z.union([z.string(), z.number()]) })).min(1),
  }),
});
const ZPdb = z.looseObject({
  metadata: ZMeta,
  spec: z.looseObject({ selector: z.looseObject({ matchLabels: ZLabels }) }),
});
const ZPortRule = z.looseObject({
  protocol: z.string().optional(),
  port: z.union([z.number(), z.string()]).optional(),
});
const ZNetworkPolicy = z.looseObject({
  metadata: ZMeta,
  spec: z.looseObject({
    podSelector: z.looseObject({ matchLabels: ZLabels.optional() }),
    policyTypes: z.array(z.enum(["Ingress", "Egress"])),
    egress: z
      .array(z.looseObject({ to: z.array(z.looseObject({})).optional(), ports: z.array(ZPortRule).optional() }))
      .optional(),
  }),
});

const issuesOf = (error: z.ZodError): string[] =>
  error.issues.map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`);

const matches = (selector: Record<string, string>, labels: Record<string, string>): boolean =>
  Object.entries(selector).every(([key, value]) => labels[key] === value);

/** Ports the web pods may reach, with what each is for. */
export const WEB_EGRESS_PORTS: Record<number, string> = {
  53: "DNS",
  5432: "PostgreSQL",
  6379: "Redis",
  443: "the IdP",
  3002: "the services API",
};

/** A stand-in of the right shape for each credential, for the configuration check. */
const PLACEHOLDERS: Record<string, string> = {
  AUTH_SECRET: "placeholder-auth-secret-0123456789abcdef",
  WEBHOOK_ENCRYPTION_SECRET: "placeholder-webhook-encryption-secret-0123456789",
  SIGNING_KEY_ENCRYPTION_SECRET: "placeholder-signing-key-encryption-secret-0123456789",
  CONNECTOR_ENCRYPTION_SECRET: "placeholder-connector-encryption-secret-0123456789",
  OIDC_CLIENT_SECRET: "placeholder-client-secret",
  DATABASE_URL: "postgresql://jit:placeholder@db.internal:5432/jit_access",
  REDIS_URL: "redis://:placeholder@redis.internal:6379",
  SMTP_URL: "smtp://jit:placeholder@smtp.example.com:587",
  CHAT_WEBHOOK_URL: "https://hooks.example.com/services/placeholder",
  AUDIT_ANCHOR_KEY: "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=",
  AUDIT_ANCHOR_SINK_TOKEN: "placeholder-sink-token",
};

type TContext = {
  configMaps: Map<string, Record<string, string>>;
  repoRoot: string;
  fileExists: (file: string) => boolean;
};

/** The variables a container gets: its ConfigMaps, then its own env (a Secret reference as a placeholder). */
const environmentOf = (container: TContainer, configMaps: TContext["configMaps"]): Record<string, string> => {
  const values: Record<string, string> = {};
  for (const source of container.envFrom ?? [])
    Object.assign(values, (source.configMapRef && configMaps.get(source.configMapRef.name)) ?? {});
  for (const variable of container.env ?? []) {
    if (variable.value !== undefined) values[variable.name] = variable.value;
    else if (variable.valueFrom?.secretKeyRef) values[variable.name] = PLACEHOLDERS[variable.name] ?? "from-a-secret";
  }
  return values;
};

const checkContainer = (where: string, container: TContainer, deployment: TDeployment, context: TContext): string[] => {
  const problems: string[] = [];
  const pod = deployment.spec.template.spec;
  const security = container.securityContext;
  if (security.runAsNonRoot !== true && pod.securityContext.runAsNonRoot !== true)
    problems.push(`${where}: runAsNonRoot must be true`);
  if (security.allowPrivilegeEscalation !== false) problems.push(`${where}: allowPrivilegeEscalation must be false`);
  if (security.readOnlyRootFilesystem !== true) problems.push(`${where}: readOnlyRootFilesystem must be true`);
  if (!security.capabilities?.drop?.includes("ALL")) problems.push(`${where}: capabilities must drop ALL`);
  if ((security.seccompProfile ?? pod.securityContext.seccompProfile)?.type !== "RuntimeDefault")
    problems.push(`${where}: seccompProfile must be RuntimeDefault`);

  const volumes = new Map((pod.volumes ?? []).map((volume) => [volume.name, volume]));
  const mounts = container.volumeMounts ?? [];
  for (const mount of mounts)
    if (!volumes.has(mount.name)) problems.push(`${where}: volumeMount ${mount.name} names no volume`);
  // A read-only root needs somewhere to write: tsx's cache, npm's cache, temp files.
  if (!mounts.some((mount) => mount.mountPath === "/tmp" && volumes.get(mount.name)?.emptyDir))
    problems.push(`${where}: /tmp must be a writable emptyDir (the root filesystem is read-only)`);

  // The command's entry file must exist in the repository (and so in the image).
  const entry = container.command?.find((arg) => /\.(ts|js|mjs)$/.test(arg));
  if (!container.command) problems.push(`${where}: command must name the process kind (web, worker, migrate, api)`);
  else if (entry && !context.fileExists(path.join(context.repoRoot, entry)))
    problems.push(`${where}: command runs ${entry}, which does not exist`);

  // Secrets only by reference: never a literal value for a credential.
  const env = container.env ?? [];
  for (const variable of env) {
    if ((SECRET_VARIABLES as readonly string[]).includes(variable.name) && variable.value !== undefined) {
      problems.push(
        `${where}: ${variable.name} has a literal value; mount it from a Secret and set ${variable.name}_FILE`,
      );
    }
  }
  for (const source of container.envFrom ?? []) {
    const name = source.configMapRef?.name;
    if (name && !context.configMaps.has(name))
      problems.push(`${where}: envFrom names ConfigMap ${name}, which is not in deploy/`);
    for (const [key] of Object.entries((name && context.configMaps.get(name)) || {})) {
      if ((SECRET_VARIABLES as readonly string[]).includes(key))
        problems.push(`${where}: ConfigMap ${name} holds the credential ${key}; use a Secret`);
    }
  }

  // The environment this container gets must pass production's configuration check.
  const values = environmentOf(container, context.configMaps);
  const secretFiles = new Map<string, string>();
  for (const mount of mounts) {
    const secret = volumes.get(mount.name)?.secret;
    if (!secret) continue;
    for (const item of secret.items ?? []) secretFiles.set(path.posix.join(mount.mountPath, item.path), item.key);
  }
  const readFile = (file: string): string => {
    if (!secretFiles.has(file))
      throw Object.assign(new Error("not in a mounted Secret"), { code: "ENOENT (not a key of a mounted Secret)" });
    const variable = Object.keys(PLACEHOLDERS).find((name) => values[`${name}_FILE`] === file);
    return `${variable ? PLACEHOLDERS[variable] : "placeholder"}\n`;
  };
  for (const name of SECRET_VARIABLES) {
    const file = values[`${name}_FILE`];
    if (file !== undefined && !secretFiles.has(file))
      problems.push(
        `${where}: ${name}_FILE=${file} is not a key of a mounted Secret volume (list it in the volume's items)`,
      );
  }
  try {
    const config = loadConfig({ ...values, NODE_ENV: values.NODE_ENV ?? "" }, { readFile });
    if (values.NODE_ENV !== "production") problems.push(`${where}: NODE_ENV must be production`);
    // The web server and a maintenance worker refuse to start without the audit anchor key and sink.
    const anchors =
      entry === "lib/cli/start.ts" || (entry === "workers/index.ts" && config.workerQueues.includes("maintenance"));
    if (anchors)
      for (const problem of auditAnchoringProblems(config)) problems.push(`${where}: configuration: ${problem}`);
  } catch (error) {
    const list = (error as { problems?: string[] }).problems ?? [String(error)];
    for (const problem of list) problems.push(`${where}: configuration: ${problem}`);
  }
  return problems;
};

export const lintManifests = (
  manifests: TManifest[],
  options: { repoRoot: string; fileExists: (file: string) => boolean },
): string[] => {
  const problems: string[] = [];
  const typed = <T>(schema: z.ZodType<T>, manifest: TManifest, label: string): T | null => {
    const parsed = schema.safeParse(manifest.doc);
    if (parsed.success) return parsed.data;
    for (const issue of issuesOf(parsed.error)) problems.push(`${label}: ${issue}`);
    return null;
  };

  const namespaces = new Set<string>();
  const configMaps = new Map<string, Record<string, string>>();
  const deployments: Array<{ label: string; value: TDeployment }> = [];
  const labelOf = (manifest: TManifest) =>
    `${manifest.file} ${String(manifest.doc.kind)}/${String((manifest.doc.metadata as { name?: unknown } | undefined)?.name)}`;

  for (const manifest of manifests) {
    const { kind, apiVersion } = manifest.doc;
    const label = labelOf(manifest);
    if (typeof kind !== "string" || !(kind in API_VERSIONS)) {
      problems.push(
        `${label}: unexpected kind ${String(kind)}${kind === "Secret" ? " (secret values never go into git)" : ""}`,
      );
      continue;
    }
    if (apiVersion !== API_VERSIONS[kind])
      problems.push(`${label}: apiVersion must be ${API_VERSIONS[kind]}, not ${String(apiVersion)}`);
    const metadata = typed(z.looseObject({ metadata: ZMeta }), manifest, label)?.metadata;
    if (!metadata) continue;
    if (kind === "Namespace") namespaces.add(metadata.name);
    if (kind === "ConfigMap") {
      const configMap = typed(ZConfigMap, manifest, label);
      if (configMap) configMaps.set(configMap.metadata.name, configMap.data);
    }
    if (kind === "Deployment") {
      const deployment = typed(ZDeployment, manifest, label);
      if (deployment) deployments.push({ label, value: deployment });
    }
  }
  if (namespaces.size !== 1) problems.push(`expected exactly one Namespace, found ${namespaces.size}`);
  for (const manifest of manifests) {
    const namespace = (manifest.doc.metadata as { namespace?: unknown } | undefined)?.namespace;
    if (
      manifest.doc.kind !== "Namespace" &&
      String(manifest.doc.kind) in API_VERSIONS &&
      !namespaces.has(String(namespace))
    ) {
      problems.push(
        `${labelOf(manifest)}: metadata.namespace must be ${[...namespaces].join(", ") || "the Namespace's name"}`,
      );
    }
  }

  const context: TContext = { configMaps, ...options };
  const queues: string[] = [];
  let web: TDeployment | null = null;
  let api: { label: string; value: TDeployment } | null = null;
  for (const { label, value: deployment } of deployments) {
    const pod = deployment.spec.template.spec;
    if (!matches(deployment.spec.selector.matchLabels, deployment.spec.template.metadata.labels))
      problems.push(`${label}: selector does not match the pod template's labels`);
    if (pod.securityContext.runAsNonRoot !== true)
      problems.push(`${label}: pod securityContext.runAsNonRoot must be true`);
    if (pod.securityContext.runAsUser === 0) problems.push(`${label}: pod runs as uid 0`);
    if (pod.securityContext.seccompProfile?.type !== "RuntimeDefault")
      problems.push(`${label}: pod seccompProfile must be RuntimeDefault`);
    for (const container of [...(pod.initContainers ?? []), ...pod.containers]) {
      problems.push(...checkContainer(`${label} container ${container.name}`, container, deployment, context));
    }
    const main = pod.containers[0];
    const kindOfProcess = main?.command?.join(" ") ?? "";
    if (kindOfProcess.includes("lib/cli/start.ts")) {
      web = deployment;
      const portNames = new Set((main?.ports ?? []).flatMap((port) => [port.name, port.containerPort]));
      const readiness = main?.readinessProbe?.httpGet;
      if (readiness?.path !== "/api/health") problems.push(`${label}: web readinessProbe must GET /api/health`);
      else if (!portNames.has(readiness.port))
        problems.push(`${label}: readinessProbe port ${readiness.port} is not a container port`);
      if (!main?.livenessProbe) problems.push(`${label}: web needs a livenessProbe`);
      if (main?.env?.find((variable) => variable.name === "HOSTNAME")?.value !== "0.0.0.0") {
        problems.push(
          `${label}: set HOSTNAME=0.0.0.0 (the standalone server binds to HOSTNAME, which Kubernetes sets to the pod name)`,
        );
      }
    }
    if (kindOfProcess.includes("api/main.ts")) {
      api = { label, value: deployment };
      const portNames = new Set((main?.ports ?? []).flatMap((port) => [port.name, port.containerPort]));
      const readiness = main?.readinessProbe?.httpGet;
      if (readiness?.path !== "/healthz") problems.push(`${label}: api readinessProbe must GET /healthz`);
      else if (!portNames.has(readiness.port))
        problems.push(`${label}: readinessProbe port ${readiness.port} is not a container port`);
      if (!main?.livenessProbe) problems.push(`${label}: api needs a livenessProbe`);
      const environment = main ? environmentOf(main, configMaps) : {};
      if (environment.API_HOST !== "0.0.0.0")
        problems.push(
          `${label}: set API_HOST=0.0.0.0 (the API server listens on 127.0.0.1 by default, out of the Service's reach)`,
        );
      const apiPort = Number(environment.API_PORT ?? 3002);
      if (!portNames.has(apiPort)) problems.push(`${label}: API_PORT ${apiPort} is not a container port`);
    }
    if (kindOfProcess.includes("workers/index.ts")) {
      const value = main?.env?.find((variable) => variable.name === "WORKER_QUEUES")?.value;
      if (!value) problems.push(`${label}: a worker Deployment must set WORKER_QUEUES`);
      else queues.push(...value.split(",").map((queue) => queue.trim()));
    }
  }
  if (!web) problems.push("no web Deployment (command lib/cli/start.ts)");
  // Exactly one home for the services API: its own Deployment, reached through its Service, or
  // a server next to each web server.
  const webMain = web?.spec.template.spec.containers[0];
  const webEnvironment = webMain ? environmentOf(webMain, configMaps) : {};
  const nextToWeb = (webEnvironment.API_NEXT_TO_WEB ?? "true") === "true";
  if (api && nextToWeb)
    problems.push(
      `${api.label}: the web pods also run an API server next to themselves; set API_NEXT_TO_WEB=false for them`,
    );
  if (web && !api && !nextToWeb)
    problems.push("API_NEXT_TO_WEB=false, but no Deployment runs the services API (api/main.ts)");
  if (api && web) {
    const host = URL.canParse(webEnvironment.API_INTERNAL_URL ?? "")
      ? new URL(webEnvironment.API_INTERNAL_URL ?? "").hostname
      : "";
    const serviceName = host.split(".")[0] ?? "";
    const service = manifests.find(
      (manifest) =>
        manifest.doc.kind === "Service" && (manifest.doc.metadata as { name?: unknown }).name === serviceName,
    );
    const selector = (service?.doc.spec as { selector?: Record<string, string> } | undefined)?.selector ?? {};
    if (!service || !matches(selector, api.value.spec.template.metadata.labels)) {
      problems.push(
        `web API_INTERNAL_URL (${webEnvironment.API_INTERNAL_URL ?? "unset"}) must name the Service of the API pods`,
      );
    }
  }
  for (const queue of QUEUE_NAMES) {
    const count = queues.filter((name) => name === queue).length;
    if (count !== 1) problems.push(`queue ${queue} is consumed by ${count} worker Deployments (want exactly 1)`);
  }

  const podLabels = deployments.map(({ value }) => value.spec.template.metadata.labels);
  for (const manifest of manifests) {
    const label = labelOf(manifest);
    if (manifest.doc.kind === "Service") {
      const service = typed(ZService, manifest, label);
      if (!service) continue;
      const target = deployments.find(({ value }) =>
        matches(service.spec.selector, value.spec.template.metadata.labels),
      );
      if (!target) problems.push(`${label}: selector matches no Deployment's pods`);
      const ports = new Set(
        target?.value.spec.template.spec.containers.flatMap((container) =>
          (container.ports ?? []).flatMap((port) => [port.name, port.containerPort]),
        ) ?? [],
      );
      for (const port of service.spec.ports)
        if (target && !ports.has(port.targetPort))
          problems.push(`${label}: targetPort ${port.targetPort} is not a container port`);
    }
    if (manifest.doc.kind === "PodDisruptionBudget") {
      const pdb = typed(ZPdb, manifest, label);
      if (!pdb) continue;
      const spec = manifest.doc.spec as { minAvailable?: unknown; maxUnavailable?: unknown };
      if (spec.minAvailable === undefined && spec.maxUnavailable === undefined)
        problems.push(`${label}: set minAvailable or maxUnavailable`);
      const target = deployments.find(({ value }) =>
        matches(pdb.spec.selector.matchLabels, value.spec.template.metadata.labels),
      );
      if (!target) problems.push(`${label}: selector matches no Deployment's pods`);
      else if (typeof spec.minAvailable === "number" && spec.minAvailable >= target.value.spec.replicas)
        problems.push(
          `${label}: minAvailable ${spec.minAvailable} leaves no room for a voluntary disruption (replicas ${target.value.spec.replicas})`,
        );
    }
  }
  // What serves traffic keeps a replica through a node drain.
  for (const served of [web, api?.value]) {
    if (!served) continue;
    const guarded = manifests.some(
      (manifest) =>
        manifest.doc.kind === "PodDisruptionBudget" &&
        matches(
          (manifest.doc.spec as { selector?: { matchLabels?: Record<string, string> } }).selector?.matchLabels ?? {
            "": "",
          },
          served.spec.template.metadata.labels,
        ),
    );
    if (!guarded) problems.push(`Deployment/${served.metadata.name}: serves traffic but has no PodDisruptionBudget`);
  }

  const policies = manifests
    .filter((manifest) => manifest.doc.kind === "NetworkPolicy")
    .flatMap((manifest) => {
      const policy = typed(ZNetworkPolicy, manifest, labelOf(manifest));
      return policy ? [{ label: labelOf(manifest), policy }] : [];
    });
  const defaultDeny = policies.some(
    ({ policy }) =>
      Object.keys(policy.spec.podSelector.matchLabels ?? {}).length === 0 &&
      policy.spec.policyTypes.includes("Ingress") &&
      policy.spec.policyTypes.includes("Egress") &&
      !policy.spec.egress?.length &&
      !(policy.spec as { ingress?: unknown[] }).ingress?.length,
  );
  if (!defaultDeny) problems.push("no default-deny NetworkPolicy (podSelector {}, Ingress and Egress, no rules)");
  for (const labels of podLabels) {
    const selecting = policies.filter(
      ({ policy }) =>
        Object.keys(policy.spec.podSelector.matchLabels ?? {}).length > 0 &&
        matches(policy.spec.podSelector.matchLabels ?? {}, labels),
    );
    if (selecting.length === 0) problems.push(`pods ${JSON.stringify(labels)}: no NetworkPolicy of their own`);
  }
  if (web) {
    const webLabels = web.spec.template.metadata.labels;
    for (const { label, policy } of policies) {
      const selector = policy.spec.podSelector.matchLabels ?? {};
      if (Object.keys(selector).length === 0 || !matches(selector, webLabels)) continue;
      for (const rule of policy.spec.egress ?? []) {
        if (!rule.ports?.length) problems.push(`${label}: a web egress rule without ports allows every port`);
        for (const port of rule.ports ?? []) {
          if (!(Number(port.port) in WEB_EGRESS_PORTS))
            problems.push(
              `${label}: web egress to port ${String(port.port)}; web pods reach only ${Object.entries(WEB_EGRESS_PORTS)
                .map(([p, what]) => `${what} (${p})`)
                .join(", ")}`,
            );
        }
      }
    }
  }
  return problems;
};
