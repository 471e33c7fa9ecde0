import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { parse, parseAllDocuments } from "yaml";
import { lintDockerfile, runtimeCommand } from "./dockerfile";
import { lintManifests, type TManifest } from "./manifests";

const ROOT = path.resolve(import.meta.dirname, "../..");
const DEPLOY = path.join(ROOT, "deploy");
const dockerfile = readFileSync(path.join(ROOT, "Dockerfile"), "utf8");

const loadManifests = (): TManifest[] =>
  readdirSync(DEPLOY)
    .filter((file) => file.endsWith(".yaml") && file !== "kustomization.yaml")
    .flatMap((file) =>
      parseAllDocuments(readFileSync(path.join(DEPLOY, file), "utf8")).map((document) => {
        assert.deepEqual(document.errors, [], `${file}: YAML errors`);
        return { file, doc: document.toJS() as Record<string, unknown> };
      }),
    );
const lint = (manifests: TManifest[]) => lintManifests(manifests, { repoRoot: ROOT, fileExists: existsSync });
/** A deep copy of the manifests with one changed, for the tests that must see a failure. */
const mutated = (change: (byName: (kind: string, name: string) => Record<string, unknown>) => void): TManifest[] => {
  const copy = structuredClone(loadManifests());
  change((kind, name) => {
    const found = copy.find(({ doc }) => doc.kind === kind && (doc.metadata as { name: string }).name === name);
    assert.ok(found, `${kind}/${name} not in deploy/`);
    return found.doc;
  });
  return copy;
};
type TPodSpec = {
  containers: Array<
    Record<string, unknown> & { env: Array<{ name: string; value?: string }>; securityContext: Record<string, unknown> }
  >;
};
const podSpec = (deployment: Record<string, unknown>): TPodSpec =>
  (deployment as { spec: { template: { spec: TPodSpec } } }).spec.template.spec;

describe("Dockerfile", () => {
  it("keeps every rule: multi-stage, pinned bases, non-root numeric USER, HEALTHCHECK on /api/health, no secrets", () => {
    assert.deepEqual(lintDockerfile(dockerfile), []);
  });

  it("runs an entry that exists, in exec form", () => {
    const command = runtimeCommand(dockerfile);
    assert.deepEqual(command.slice(0, 3), ["node", "--import", "tsx"]);
    assert.ok(existsSync(path.join(ROOT, command[3] ?? "")), `${command[3]} is missing`);
  });

  it("catches root, unpinned images, secrets in ENV and a missing health check", () => {
    const bad = [
      "FROM node:latest AS build",
      "ENV AUTH_SECRET=hunter2 \\",
      "    PORT=3000",
      "RUN npm ci && npm run build",
      "FROM node AS runtime",
      "ARG DB_PASSWORD",
      "COPY --from=build /app/.next/standalone ./",
      "COPY .env ./",
      "USER root",
      "CMD node server.js",
    ].join("\n");
    const problems = lintDockerfile(bad);
    for (const expected of [
      /node:latest: tag "latest" is not a full version/,
      /FROM node: base image must be pinned/,
      /ENV AUTH_SECRET: secrets never/,
      /ARG DB_PASSWORD: secrets never/,
      /COPY of an .env file/,
      /USER root: use a numeric uid/,
      /no HEALTHCHECK/,
      /CMD: use the exec form/,
    ]) {
      assert.ok(
        problems.some((problem) => expected.test(problem)),
        `expected ${expected} in:\n${problems.join("\n")}`,
      );
    }
    assert.match(lintDockerfile(dockerfile.replace("USER 10001:10001", "USER 0")).join(), /USER 0: runs as root/);
  });

  it("keeps secrets and local state out of the build context", () => {
    const ignored = readFileSync(path.join(ROOT, ".dockerignore"), "utf8")
      .split("\n")
      .map((line) => line.trim());
    for (const entry of [".env", ".env.*", ".git", "**/node_modules", ".next", "lib/db/generated"])
      assert.ok(ignored.includes(entry), `.dockerignore lacks ${entry}`);
  });

  it("builds the standalone server the image copies", async () => {
    const config = ((await import(path.join(ROOT, "next.config.js"))) as { default: { output?: string } }).default;
    assert.equal(config.output, "standalone");
  });
});

describe("Kubernetes manifests (deploy/)", () => {
  it("pass every check: kinds, security contexts, probes, resources, secrets by reference, production configuration", () => {
    assert.deepEqual(lint(loadManifests()), []);
  });

  it("are all listed in kustomization.yaml, and it lists nothing else", () => {
    const kustomization = parse(readFileSync(path.join(DEPLOY, "kustomization.yaml"), "utf8")) as {
      resources: string[];
      namespace: string;
    };
    const files = readdirSync(DEPLOY)
      .filter((file) => file.endsWith(".yaml") && file !== "kustomization.yaml")
      .sort();
    assert.deepEqual([...kustomization.resources].sort(), files);
    assert.equal(kustomization.namespace, "jit-access");
  });

  it("commit no Secret and no credential value", () => {
    // Every file, also those beside the manifests (deploy/slack/app-manifest.yaml).
    const text = readdirSync(DEPLOY, { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => readFileSync(path.join(entry.parentPath, entry.name), "utf8"))
      .join("\n");
    assert.doesNotMatch(text, /^kind:\s*Secret\s*$/m);
    assert.doesNotMatch(text, /:\/\/[^\s/:@]+:[^\s/@]+@/, "a URL with a password");
  });

  it("catch a container that may write its root filesystem or escalate", () => {
    const problems = lint(
      mutated((find) => {
        const container = podSpec(find("Deployment", "jit-access-web")).containers[0];
        assert.ok(container);
        container.securityContext = { runAsNonRoot: true, capabilities: { drop: ["NET_RAW"] } };
      }),
    );
    assert.ok(
      problems.some((p) => /container web: readOnlyRootFilesystem must be true/.test(p)),
      problems.join("\n"),
    );
    assert.ok(
      problems.some((p) => /container web: allowPrivilegeEscalation must be false/.test(p)),
      problems.join("\n"),
    );
    assert.ok(
      problems.some((p) => /container web: capabilities must drop ALL/.test(p)),
      problems.join("\n"),
    );
  });

  it("catch a web or maintenance worker container without the audit anchor key, and leave the others alone", () => {
    const problems = lint(
      mutated((find) => {
        for (const name of ["jit-access-web", "jit-access-worker"]) {
          const container = podSpec(find("Deployment", name)).containers[0] as { env: Array<{ name: string }> };
          container.env = container.env.filter((variable) => variable.name !== "AUDIT_ANCHOR_KEY_FILE");
        }
      }),
    );
    const anchorProblems = problems.filter((p) => /AUDIT_ANCHOR_KEY: required in production/.test(p));
    assert.equal(anchorProblems.length, 2, problems.join("\n"));
    assert.ok(
      anchorProblems.some((p) => /container web:/.test(p)) && anchorProblems.some((p) => /container worker:/.test(p)),
    );
  });

  it("catch a production variable the web Deployment does not provide", () => {
    const problems = lint(
      mutated((find) => {
        delete (find("ConfigMap", "jit-access-config").data as Record<string, string>).ADMIN_GROUPS;
      }),
    );
    assert.ok(
      problems.some((p) => /jit-access-web container web: configuration: ADMIN_GROUPS: required in production/.test(p)),
      problems.join("\n"),
    );
  });

  it("catch a credential given as a literal, or a _FILE outside a mounted Secret", () => {
    const problems = lint(
      mutated((find) => {
        const container = podSpec(find("Deployment", "jit-access-web")).containers[0];
        assert.ok(container);
        container.env = container.env.filter((variable) => variable.name !== "AUTH_SECRET_FILE");
        container.env.push(
          { name: "AUTH_SECRET", value: "x".repeat(40) },
          { name: "SMTP_URL_FILE", value: "/etc/smtp-url" },
        );
      }),
    );
    assert.ok(
      problems.some((p) => /container web: AUTH_SECRET has a literal value/.test(p)),
      problems.join("\n"),
    );
    assert.ok(
      problems.some((p) => /SMTP_URL_FILE=\/etc\/smtp-url is not a key of a mounted Secret/.test(p)),
      problems.join("\n"),
    );
  });

  it("catch a missing probe, a queue nobody consumes and web egress beyond its four", () => {
    const problems = lint(
      mutated((find) => {
        const web = podSpec(find("Deployment", "jit-access-web")).containers[0];
        assert.ok(web);
        delete web.readinessProbe;
        const worker = podSpec(find("Deployment", "jit-access-worker-webhooks")).containers[0];
        assert.ok(worker);
        worker.env = worker.env.map((variable) =>
          variable.name === "WORKER_QUEUES" ? { ...variable, value: "notify" } : variable,
        );
        const policy = find("NetworkPolicy", "jit-access-web") as { spec: { egress: unknown[] } };
        policy.spec.egress.push({ to: [{ ipBlock: { cidr: "0.0.0.0/0" } }], ports: [{ protocol: "TCP", port: 22 }] });
      }),
    );
    for (const expected of [
      /web readinessProbe must GET \/api\/health/,
      /queue webhooks is consumed by 0/,
      /queue notify is consumed by 2/,
      /web egress to port 22/,
    ]) {
      assert.ok(
        problems.some((p) => expected.test(p)),
        `expected ${expected} in:\n${problems.join("\n")}`,
      );
    }
  });

  it("run the services API as its own Deployment, reachable, probed, guarded, and the web's rewrite pointed at its Service", () => {
    const problems = lint(
      mutated((find) => {
        const api = podSpec(find("Deployment", "jit-access-api")).containers[0] as TPodSpec["containers"][number] & {
          readinessProbe: { httpGet: { path: string } };
        };
        assert.ok(api);
        api.env = api.env.filter((variable) => variable.name !== "API_HOST");
        api.readinessProbe.httpGet.path = "/api/health";
        const config = find("ConfigMap", "jit-access-config").data as Record<string, string>;
        delete config.API_NEXT_TO_WEB;
        config.API_INTERNAL_URL = "http://jit-access-web";
        (
          find("PodDisruptionBudget", "jit-access-api").spec as { selector: { matchLabels: Record<string, string> } }
        ).selector.matchLabels = { "app.kubernetes.io/component": "nothing" };
      }),
    );
    for (const expected of [
      /jit-access-api: set API_HOST=0\.0\.0\.0/,
      /jit-access-api: api readinessProbe must GET \/healthz/,
      /web pods also run an API server next to themselves; set API_NEXT_TO_WEB=false/,
      /web API_INTERNAL_URL \(http:\/\/jit-access-web\) must name the Service of the API pods/,
      /Deployment\/jit-access-api: serves traffic but has no PodDisruptionBudget/,
    ]) {
      assert.ok(
        problems.some((p) => expected.test(p)),
        `expected ${expected} in:\n${problems.join("\n")}`,
      );
    }
  });

  it("catch the API switched off next to the web pods with no Deployment of its own", () => {
    const manifests = loadManifests().filter(({ doc }) => (doc.metadata as { name: string }).name !== "jit-access-api");
    assert.ok(lint(manifests).some((p) => /API_NEXT_TO_WEB=false, but no Deployment runs the services API/.test(p)));
  });

  it("catch a Secret committed with values", () => {
    const manifests = [
      ...loadManifests(),
      {
        file: "secret.yaml",
        doc: {
          apiVersion: "v1",
          kind: "Secret",
          metadata: { name: "s", namespace: "jit-access" },
          stringData: { x: "y" },
        },
      },
    ];
    assert.ok(lint(manifests).some((p) => /unexpected kind Secret \(secret values never go into git\)/.test(p)));
  });
});
