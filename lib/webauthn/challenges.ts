/** Issuing and consuming single-use challenges; internal to lib/webauthn. */
import type { TUserActor } from "../authz";
import { type ChallengePurpose, type Db, db, type WebAuthnChallenge } from "../db";
import { AppError } from "../errors";
import { CHALLENGE_TTL_MS, MAX_LIVE_CHALLENGES } from "./config";
import type { TCeremonyRefusal } from "./refusals";
import { currentTime } from "../clock";

/**
 * The challenge a browser signed, read from the response's clientDataJSON; undefined when
 * that is not base64url JSON with a string `challenge`. Only a lookup key: the signature
 * over clientDataJSON is checked later by simplewebauthn.
 */
export const challengeOf = (clientDataJSON: string): string | undefined => {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(clientDataJSON, "base64url").toString("utf8"));
    const challenge =
      typeof parsed === "object" && parsed !== null ? (parsed as { challenge?: unknown }).challenge : undefined;
    return typeof challenge === "string" && challenge.length > 0 && challenge.length <= 512 ? challenge : undefined;
  } catch {
    return undefined;
  }
};

/** Stores a challenge bound to one person, one purpose and one target, good for 5 minutes. */
export const issueChallenge = async (options: {
  userId: string;
  purpose: ChallengePurpose;
  targetType: string;
  targetId: string;
  challenge: string;
}): Promise<{ id: string; expiresAt: Date }> =>
  db.$transaction(async (tx) => {
    const now = currentTime();
    // Housekeeping: expired prompts nobody answered are worthless. Used ones stay: approvals
    // point at them as evidence.
    await tx.webAuthnChallenge.deleteMany({ where: { userId: options.userId, usedAt: null, expiresAt: { lte: now } } });
    const live = await tx.webAuthnChallenge.count({ where: { userId: options.userId, usedAt: null } });
    if (live >= MAX_LIVE_CHALLENGES) {
      throw new AppError("RATE_LIMITED", "Too many passkey prompts are open. Wait a few minutes and try again.");
    }
    return tx.webAuthnChallenge.create({
      data: { ...options, expiresAt: new Date(now.getTime() + CHALLENGE_TTL_MS) },
      select: { id: true, expiresAt: true },
    });
  });

/**
 * Checks a stored challenge against what the caller expects. The order matters only for the
 * message: any mismatch is a refusal.
 */
export const checkChallenge = (
  row: WebAuthnChallenge | null,
  expected: { actor: TUserActor; purpose: ChallengePurpose; targetType: string; targetId: string; now: Date },
): TCeremonyRefusal | null => {
  if (!row) return "unknown_challenge";
  if (row.userId !== expected.actor.userId) return "wrong_user";
  if (row.purpose !== expected.purpose) return "wrong_purpose";
  if (row.targetType !== expected.targetType || row.targetId !== expected.targetId) return "wrong_target";
  if (row.usedAt) return "used";
  if (row.expiresAt.getTime() <= expected.now.getTime()) return "expired";
  return null;
};

/**
 * Marks the challenge used, if and only if it is still unused and unexpired. A conditional
 * UPDATE: of two transactions racing with the same challenge, the second waits for the
 * first's row lock, re-reads `usedAt`, and updates nothing. This is what stops a replay.
 */
export const consumeChallenge = async (tx: Db, id: string, now: Date): Promise<boolean> => {
  const result = await tx.webAuthnChallenge.updateMany({
    where: { id, usedAt: null, expiresAt: { gt: now } },
    data: { usedAt: now },
  });
  return result.count === 1;
};
