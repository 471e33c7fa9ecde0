import NextAuth from "next-auth";
import type { NextRequest } from "next/server";
import { getAuthOptions } from "@/lib/auth/next-auth-options";

type TContext = { params: Promise<{ nextauth: string[] }> };

// Options are built per request so that `next build` never reads configuration.
const handler = (request: NextRequest, context: TContext) => NextAuth(request, context, getAuthOptions());

export { handler as GET, handler as POST };
