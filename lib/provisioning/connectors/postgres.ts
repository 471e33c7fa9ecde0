import { z } from "zod";
import type { TConnector } from "../types";

export const ZPostgresSettings = z.strictObject({});
export type TPostgresSettings = z.output<typeof ZPostgresSettings>;

const notYet = () => Promise.reject(new Error("postgres connector: not implemented yet"));

export const postgresConnector: TConnector<TPostgresSettings> = {
  kind: "postgres",
  label: "PostgreSQL",
  settingsSchema: ZPostgresSettings,
  credentialLabel: "Admin password",
  provision: notYet,
  deprovision: notYet,
  inspect: notYet,
  test: notYet,
};
