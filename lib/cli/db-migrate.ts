/** `npm run db:migrate`: create the database if missing, then `prisma migrate deploy`. */
import { checkDatabase, loadConfigOrExplain, PreflightError } from "./preflight";
import { runCommand } from "./run";

const main = async () => {
  const config = loadConfigOrExplain();
  const database = await checkDatabase(config);
  if (database === "created") console.log("created the database");
  process.exit(await runCommand("npx", ["prisma", "migrate", "deploy"]));
};

main().catch((error: unknown) => {
  console.error(error instanceof PreflightError ? error.message : error);
  process.exit(1);
});
