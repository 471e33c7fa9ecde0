/** The e2e run's own data: the demo resources and policies, in the run's own database. */
import { disconnectDb } from "../../lib/db";
import { seedDemoData } from "../../prisma/seed";

const globalSetup = async (): Promise<void> => {
  await seedDemoData();
  await disconnectDb();
};

export default globalSetup;
