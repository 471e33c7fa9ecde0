/**
 * `npm run service -- <command>`: service clients from the command line, for bootstrap and
 * automation, acting (and audited) as the system actor.
 *
 *   create --name NAME --scopes access:check,grants:read [--resources a,b] [--owner EMAIL]
 *   list
 *   rotate <id-or-name> [--overlap-minutes N]     (N=0 retires the old secret at once)
 *   disable <id-or-name>
 *   rotate-signing-key
 */
import { parseArgs } from "node:util";
import { disconnectDb } from "../db";
import { isAppError } from "../errors";
import {
  createServiceClient,
  disableServiceClient,
  listServiceClients,
  rotateServiceClientSecret,
  rotateSigningKey,
  type TScope,
} from "../services";
import { loadConfigOrExplain, PreflightError } from "./preflight";

const SYSTEM = { kind: "system", name: "cli" } as const;
const USAGE = `usage: npm run service -- create --name NAME --scopes access:check,grants:read [--resources KEY,KEY] [--owner EMAIL]
       npm run service -- list
       npm run service -- rotate <id-or-name> [--overlap-minutes N]
       npm run service -- disable <id-or-name>
       npm run service -- rotate-signing-key`;

const csv = (value: string | undefined): string[] =>
  (value ?? "")
    .split(",")
    .map((item) => item.trim())
    .filter(Boolean);

const main = async (): Promise<void> => {
  loadConfigOrExplain();
  const { values, positionals } = parseArgs({
    args: process.argv.slice(2),
    allowPositionals: true,
    options: {
      name: { type: "string" },
      scopes: { type: "string" },
      resources: { type: "string" },
      owner: { type: "string" },
      "overlap-minutes": { type: "string" },
      json: { type: "boolean" },
    },
  });
  const [command, target] = positionals;
  switch (command) {
    case "create": {
      if (!values.name || !values.scopes) throw new PreflightError(USAGE);
      const created = await createServiceClient({
        actor: SYSTEM,
        input: {
          name: values.name,
          scopes: csv(values.scopes) as TScope[],
          resourceKeys: csv(values.resources),
          ownerEmail: values.owner,
        },
      });
      if (values.json) console.log(JSON.stringify(created));
      else
        console.log(
          `client_id:     ${created.clientId}\nclient_secret: ${created.clientSecret}\nscopes:        ${created.scopes.join(" ")}\n\nThe secret is shown only now; store it in your secret manager.`,
        );
      return;
    }
    case "list": {
      const clients = await listServiceClients({ actor: SYSTEM });
      if (values.json) return void console.log(JSON.stringify(clients));
      for (const client of clients) {
        console.log(
          `${client.id}  ${client.name.padEnd(24)} ${client.disabledAt ? "DISABLED" : "enabled "}  ${client.scopes.join(",")}${client.resourceKeys.length ? `  resources=${client.resourceKeys.join(",")}` : ""}  secrets=${client.secrets.length}`,
        );
      }
      if (clients.length === 0) console.log("no service clients");
      return;
    }
    case "rotate": {
      if (!target) throw new PreflightError(USAGE);
      const minutes = values["overlap-minutes"];
      const overlapMs = minutes === undefined ? undefined : Number(minutes) * 60_000;
      const rotated = await rotateServiceClientSecret({ actor: SYSTEM, client: target, overlapMs });
      if (values.json) return void console.log(JSON.stringify(rotated));
      console.log(
        `client_id:     ${rotated.clientId}\nclient_secret: ${rotated.clientSecret}\n\nThe previous secret works until ${rotated.previousSecretsRetireAt.toISOString()}.`,
      );
      return;
    }
    case "disable": {
      if (!target) throw new PreflightError(USAGE);
      const disabled = await disableServiceClient({ actor: SYSTEM, client: target });
      console.log(`disabled ${disabled.name} (${disabled.clientId}); its tokens stop working now`);
      return;
    }
    case "rotate-signing-key": {
      const rotated = await rotateSigningKey({ actor: SYSTEM });
      console.log(
        `new signing key ${rotated.kid}; retired ${rotated.retired.join(", ") || "none"} (they verify for 16 more minutes)`,
      );
      return;
    }
    default:
      throw new PreflightError(USAGE);
  }
};

main()
  .then(async () => {
    await disconnectDb();
    process.exit(0);
  })
  .catch(async (error: unknown) => {
    console.error(error instanceof PreflightError || isAppError(error) ? error.message : error);
    await disconnectDb().catch(() => undefined);
    process.exit(1);
  });
