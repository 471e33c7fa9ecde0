import { listResourceTypes } from "@/lib/scim/discovery";
import { handleScim } from "@/lib/scim/http";

export const dynamic = "force-dynamic";

export const GET = (request: Request) => handleScim(request, async () => ({ status: 200, body: listResourceTypes() }));
