/**
 * `npm run idp:dev`: the development OpenID Provider on its own, for when no company IdP
 * is configured. It registers the portal as its one client with the same client id, secret
 * and callback URL the portal's config uses, so the two agree without extra setup.
 */
import { getConfig } from "../config";
import { DEMO_USERS } from "../dev-idp/demo-users";
import { startDevIdp } from "../dev-idp/server";

const main = async () => {
  const config = getConfig();
  // The development IdP signs anyone in as anyone; it must never answer for a real deployment.
  if (config.isProduction) {
    console.error("dev-idp: refusing to run with NODE_ENV=production: it signs anyone in as anyone.");
    process.exit(1);
  }
  if (!config.oidc.isDevIdp) {
    console.warn(`dev-idp: OIDC_ISSUER is set (${config.oidc.issuer}); the portal will not use this IdP.`);
  }

  const idp = await startDevIdp({
    port: config.devIdpPort,
    clients: [
      {
        clientId: config.oidc.clientId,
        clientSecret: config.oidc.clientSecret,
        redirectUris: [`${config.appUrl}/api/auth/callback/oidc`],
      },
    ],
  });

  console.log(`dev-idp: issuer ${idp.issuer}`);
  console.log(`dev-idp: client ${config.oidc.clientId} -> ${config.appUrl}/api/auth/callback/oidc`);
  console.log("dev-idp: demo users:");
  for (const user of DEMO_USERS) {
    console.log(`  ${user.name.padEnd(16)} ${user.email.padEnd(20)} [${user.groups.join(", ")}]  ${user.description}`);
  }

  const shutdown = (signal: NodeJS.Signals) => {
    console.log(`dev-idp: ${signal}, closing`);
    idp.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error("dev-idp: close failed:", error);
        process.exit(1);
      },
    );
  };
  process.once("SIGINT", shutdown);
  process.once("SIGTERM", shutdown);
};

main().catch((error: unknown) => {
  console.error("dev-idp: failed to start:", error);
  process.exit(1);
});
