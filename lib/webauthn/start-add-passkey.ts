import type {
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
} from "@simplewebauthn/server";
import type { TUserActor } from "../authz";
import type { TAuditContext } from "../authz/enforce";
import { getReauthRequirement, reauthRequired } from "./recent-auth";
import { startPasskeyRegistration } from "./start-passkey-registration";
import { startStepUp } from "./start-step-up";

/**
 * Everything the "Add a passkey" button needs, decided before any browser prompt: the
 * registration options, and a MANAGE_PASSKEYS step-up when the session is 10 minutes old or
 * more (confirm with an existing passkey first). With no passkey and an old session it
 * refuses at once (FORBIDDEN, `fields.reauth = "required"`): sign in again.
 */
export const startAddPasskey = async (options: {
  actor: TUserActor;
  context?: TAuditContext;
}): Promise<{
  registration: PublicKeyCredentialCreationOptionsJSON;
  stepUp: PublicKeyCredentialRequestOptionsJSON | null;
}> => {
  const { actor } = options;
  const requirement = await getReauthRequirement({ actor });
  if (requirement === "sign-in") throw reauthRequired();
  // The step-up first: refused by its rate limit, it leaves no registration challenge behind.
  const stepUp =
    requirement === "passkey"
      ? await startStepUp({
          actor,
          purpose: "MANAGE_PASSKEYS",
          targetType: "user",
          targetId: actor.userId,
          context: options.context,
        })
      : null;
  const registration = await startPasskeyRegistration(options);
  return { registration, stepUp };
};
