import { RESOURCE_KEY_PATTERN } from "../../catalog/schemas";
import { AppError } from "../../errors";
import { buildKrl } from "./certificates";

/**
 * The KRL the hosts of a resource fetch (ADR 0037). Unauthenticated on purpose: it holds only
 * serials and CA public keys, and a host should not need a credential to learn what to refuse.
 * A resource that exists always gets a KRL (empty when nothing is revoked, also after its
 * connector was removed); an unknown key is a 404 so a mistyped URL on a host is noticed.
 */
export const getResourceKrl = async (options: { resourceKey: string; now?: Date }): Promise<Buffer> => {
  if (!RESOURCE_KEY_PATTERN.test(options.resourceKey)) throw new AppError("NOT_FOUND", "No such resource.");
  const krl = await buildKrl({ resourceKey: options.resourceKey, now: options.now ?? new Date() });
  if (!krl) throw new AppError("NOT_FOUND", "No such resource.");
  return krl;
};
