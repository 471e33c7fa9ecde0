/**
 * The development OpenID Provider: a real, certified OIDC implementation (`oidc-provider`)
 * with a one-click sign-in page for the demo users. The portal talks to it exactly as it
 * talks to a company IdP (discovery, authorization code + PKCE, client secret, signed ID
 * token), so the development path is the production path with a different issuer.
 *
 * Everything lives in memory: keys, cookies keys, sessions and codes are new at every start,
 * which signs everyone out of the IdP (not out of the portal) on restart. That is fine here.
 */
import { generateKeyPairSync, randomBytes, randomUUID } from "node:crypto";
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import Provider, {
  errors,
  type Configuration,
  type Interaction,
  type JWK,
  type KoaContextWithOIDC,
} from "oidc-provider";
import { DEMO_USERS, type DemoUser } from "./demo-users";

export type DevIdpClient = { clientId: string; clientSecret: string; redirectUris: string[] };

export type DevIdpOptions = {
  /** 0 picks a free port; the issuer then names the port actually bound. */
  port: number;
  /** Defaults to `http://localhost:${port}`. */
  issuer?: string;
  clients: DevIdpClient[];
  users?: readonly DemoUser[];
};

/** `upstream`: where it actually listens (the issuer may name a proxy in front of it, as in e2e). */
export type DevIdp = { issuer: string; upstream: string; close: () => Promise<void> };

const escapeHtml = (value: string): string =>
  value.replace(
    /[&<>"']/g,
    (char) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[char] ?? char,
  );

/** `body` is HTML the caller has already escaped; `title` is text. */
const page = (title: string, body: string): string => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
  body { font-family: system-ui, sans-serif; max-width: 40rem; margin: 2rem auto; padding: 0 1rem; line-height: 1.4; }
  ul { list-style: none; padding: 0; }
  li { margin: 0 0 0.75rem; }
  button { width: 100%; text-align: left; padding: 0.75rem 1rem; font: inherit; cursor: pointer;
           border: 1px solid #888; border-radius: 0.5rem; background: #fff; }
  button:hover, button:focus-visible { border-color: #1d4ed8; outline: 2px solid #1d4ed8; }
  .name { display: block; font-weight: 600; }
  .details { display: block; color: #444; font-size: 0.9rem; }
  .warning { background: #fff7d6; border: 1px solid #d9b300; padding: 0.5rem 1rem; border-radius: 0.5rem; }
</style>
</head>
<body>
<main>
<h1>${escapeHtml(title)}</h1>
${body}
</main>
</body>
</html>`;

const loginPage = (uid: string, users: readonly DemoUser[]): string =>
  page(
    "Development sign-in",
    `<p class="warning">This is the built-in development identity provider. Anyone can sign in as anyone; it never runs in production.</p>
<form method="post" action="/interaction/${escapeHtml(encodeURIComponent(uid))}/login">
<ul>
${users
  .map(
    (
      user,
      index,
    ) => `<li><button type="submit" name="sub" value="${escapeHtml(user.sub)}" aria-label="${escapeHtml(`Sign in as ${user.name}`)}" aria-describedby="user-${index}-details">
<span class="name">${escapeHtml(user.name)}</span>
<span class="details" id="user-${index}-details"><span>${escapeHtml(user.email)}</span> · <span>Groups: ${escapeHtml(user.groups.join(", ") || "none")}</span><br><span>${escapeHtml(user.description)}</span></span>
</button></li>`,
  )
  .join("\n")}
</ul>
</form>`,
  );

const send = (res: ServerResponse, status: number, html: string): void => {
  res.writeHead(status, {
    "content-type": "text/html; charset=utf-8",
    "cache-control": "no-store",
    // Our pages need no script and no third-party anything. No form-action: browsers apply it
    // to the redirects after the login POST, which end at the portal on another origin.
    "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
  });
  res.end(html);
};

const FORM_LIMIT_BYTES = 10_000;

/** The login form is one field; parse it with the platform rather than a body-parser. */
const readForm = async (req: IncomingMessage): Promise<URLSearchParams> => {
  req.setEncoding("utf8");
  let body = "";
  for await (const chunk of req) {
    body += chunk as string;
    if (body.length > FORM_LIMIT_BYTES) throw new Error("form body too large");
  }
  return new URLSearchParams(body);
};

/**
 * Consent for a first-party development client is implied: grant exactly what this request
 * asks for (plus anything the consent prompt reports missing) instead of showing a screen.
 */
const grantRequested = async (provider: Provider, interaction: Interaction, accountId: string): Promise<string> => {
  const grant = new provider.Grant({ accountId, clientId: String(interaction.params.client_id) });
  if (typeof interaction.params.scope === "string") grant.addOIDCScope(interaction.params.scope);
  const { missingOIDCScope, missingOIDCClaims } = interaction.prompt.details;
  if (Array.isArray(missingOIDCScope)) grant.addOIDCScope(missingOIDCScope.map(String));
  if (Array.isArray(missingOIDCClaims)) grant.addOIDCClaims(missingOIDCClaims.map(String));
  return grant.save();
};

const INTERACTION_PATH = /^\/interaction\/([A-Za-z0-9_-]+)(\/login)?$/;

const handleInteraction = async (
  provider: Provider,
  users: readonly DemoUser[],
  req: IncomingMessage,
  res: ServerResponse,
  uid: string,
  isLogin: boolean,
): Promise<void> => {
  // The interaction is found by its cookie; the uid in the URL must name the same one, so a
  // stale tab cannot finish somebody else's (or a newer) sign-in.
  const interaction = await provider.interactionDetails(req, res);
  if (interaction.uid !== uid) {
    return send(
      res,
      400,
      page("Sign-in expired", "<p>This sign-in page is out of date. Start again from the portal.</p>"),
    );
  }

  if (!isLogin && req.method === "GET") {
    const accountId = interaction.session?.accountId;
    if (interaction.prompt.name === "login" || !accountId) return send(res, 200, loginPage(uid, users));
    // Already signed in at the IdP: only consent is left, and consent is implied.
    const grantId = await grantRequested(provider, interaction, accountId);
    return provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
  }

  if (isLogin && req.method === "POST") {
    const sub = (await readForm(req)).get("sub");
    const user = users.find((candidate) => candidate.sub === sub);
    if (!user) {
      return send(
        res,
        400,
        page(
          "Unknown user",
          `<p>There is no demo user <code>${escapeHtml(sub ?? "")}</code>. <a href="/interaction/${escapeHtml(encodeURIComponent(uid))}">Choose again</a>.</p>`,
        ),
      );
    }
    const grantId = await grantRequested(provider, interaction, user.sub);
    return provider.interactionFinished(
      req,
      res,
      { login: { accountId: user.sub }, consent: { grantId } },
      { mergeWithLastSubmission: false },
    );
  }

  res.writeHead(405, { allow: isLogin ? "POST" : "GET" }).end();
};

const signingKey = (): JWK => {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  return { ...privateKey.export({ format: "jwk" }), kid: randomUUID(), alg: "RS256", use: "sig" };
};

const createProvider = (issuer: string, clients: DevIdpClient[], users: readonly DemoUser[]): Provider => {
  const configuration: Configuration = {
    clients: clients.map((client) => ({
      client_id: client.clientId,
      client_secret: client.clientSecret,
      redirect_uris: client.redirectUris,
      grant_types: ["authorization_code"],
      response_types: ["code"],
      // oidc-provider accepts a secret in the body or in Basic for a client registered with
      // either method; listing both in clientAuthMethods is what enables them.
      token_endpoint_auth_method: "client_secret_basic",
      id_token_signed_response_alg: "RS256",
    })),
    clientAuthMethods: ["client_secret_basic", "client_secret_post"],
    // Only the flow the portal uses; no implicit or hybrid responses to reason about.
    responseTypes: ["code"],
    jwks: { keys: [signingKey()] },
    cookies: { keys: [randomBytes(32).toString("base64url")] },
    pkce: { required: () => true },
    // The portal reads identity and groups from the ID token, as it does with company IdPs
    // that put them there; without this, scope claims would only be served by userinfo.
    conformIdTokenClaims: false,
    claims: {
      openid: ["sub"],
      email: ["email", "email_verified"],
      profile: ["name", "groups"],
      groups: ["groups"],
    },
    findAccount: (_ctx, sub) => {
      const user = users.find((candidate) => candidate.sub === sub);
      if (!user) return undefined;
      return {
        accountId: user.sub,
        claims: () => ({
          sub: user.sub,
          email: user.email,
          email_verified: true,
          name: user.name,
          groups: [...user.groups],
        }),
      };
    },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    features: {
      devInteractions: { enabled: false },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: (ctx: KoaContextWithOIDC, form: string) => {
          // `form` is oidc-provider's own hidden form (with its CSRF token), already safe HTML.
          ctx.body = page(
            "Sign out of the development IdP?",
            `${form}<p><button type="submit" form="op.logoutForm" name="logout" value="yes" autofocus>Yes, sign me out</button></p>
<p><button type="submit" form="op.logoutForm">No, stay signed in</button></p>`,
          );
        },
        postLogoutSuccessSource: (ctx: KoaContextWithOIDC) => {
          ctx.body = page("Signed out", "<p>You are signed out of the development identity provider.</p>");
        },
      },
    },
    renderError: (ctx, out) => {
      ctx.type = "html";
      ctx.body = page(
        "Sign-in error",
        Object.entries(out)
          .map(([key, value]) => `<p><strong>${escapeHtml(key)}</strong>: ${escapeHtml(String(value))}</p>`)
          .join(""),
      );
    },
    // Explicit lifetimes, short enough for development and quiet about defaults.
    ttl: {
      AccessToken: 60 * 60,
      AuthorizationCode: 60,
      IdToken: 60 * 60,
      Interaction: 60 * 60,
      Session: 12 * 60 * 60,
      Grant: 12 * 60 * 60,
    },
  };
  return new Provider(issuer, configuration);
};

const listen = (server: http.Server, port: number, host: string): Promise<void> =>
  new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });

const closeServer = (server: http.Server): Promise<void> =>
  new Promise((resolve, reject) => {
    if (!server.listening) return resolve();
    server.close((error) => (error ? reject(error) : resolve()));
    // close() alone waits for keep-alive sockets (fetch keeps them), which would hang tests.
    server.closeAllConnections();
  });

/** Start the development IdP. Loopback only: it signs anyone in as anyone. */
export const startDevIdp = async (options: DevIdpOptions): Promise<DevIdp> => {
  const users = options.users ?? DEMO_USERS;

  // Bind IPv4 loopback first so port 0 resolves to a real port before the issuer is fixed.
  const ipv4 = http.createServer();
  await listen(ipv4, options.port, "127.0.0.1");
  const { port } = ipv4.address() as AddressInfo;
  const issuer = options.issuer ?? `http://localhost:${port}`;

  const provider = createProvider(issuer, options.clients, users);
  const providerCallback = provider.callback();

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const match = INTERACTION_PATH.exec(new URL(req.url ?? "/", issuer).pathname);
    if (!match) {
      void providerCallback(req, res);
      return;
    }
    handleInteraction(provider, users, req, res, match[1] ?? "", match[2] !== undefined).catch((error: unknown) => {
      if (res.headersSent) return void res.destroy();
      if (error instanceof errors.SessionNotFound) {
        return send(
          res,
          400,
          page(
            "Sign-in expired",
            "<p>This sign-in request has expired or was started in another browser. Start again from the portal.</p>",
          ),
        );
      }
      console.error("dev-idp: interaction failed:", error);
      send(res, 500, page("Sign-in error", "<p>Something went wrong; see the IdP's console.</p>"));
    });
  };
  ipv4.on("request", handle);

  // `localhost` may resolve to ::1 first (browsers, Node's fetch), so answer there too. Best
  // effort: a machine without IPv6 still works through 127.0.0.1.
  const ipv6 = http.createServer(handle);
  await listen(ipv6, port, "::1").catch((error: unknown) => {
    console.warn(
      `dev-idp: not listening on [::1]:${port} (${error instanceof Error ? error.message : String(error)}); 127.0.0.1 only`,
    );
  });

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= Promise.all([closeServer(ipv4), closeServer(ipv6)]).then(() => undefined);
    return closing;
  };
  return { issuer, upstream: `http://127.0.0.1:${port}`, close };
};
