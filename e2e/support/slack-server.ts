/** The Slack stand-in as a process of its own for the e2e run; GET /__inspect shows what it holds. */
import { startFakeSlack } from "../../lib/testing/fake-slack";
import { SLACK_PORT, SLACK_TOKEN, SLACK_USERS } from "./env";

const fake = await startFakeSlack({ token: SLACK_TOKEN, users: SLACK_USERS, port: SLACK_PORT });
console.log(`slack stand-in up at ${fake.apiUrl}`);
const stop = () => void fake.close().then(() => process.exit(0));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
