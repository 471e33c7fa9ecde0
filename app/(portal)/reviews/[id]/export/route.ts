import { requireActor } from "@/lib/auth/current-actor";
import { requestContext } from "@/lib/auth/next-auth-options";
import { currentTime } from "@/lib/clock";
import { answerError, downloadResponse } from "@/lib/errors";
import { exportReviewCsv } from "@/lib/reviews";

export const dynamic = "force-dynamic";

/** GET /reviews/{id}/export: the review as CSV, for whoever may read it; audited. */
export const GET = async (_request: Request, { params }: { params: Promise<{ id: string }> }) => {
  try {
    const { id } = await params;
    const { csv } = await exportReviewCsv({
      actor: await requireActor(),
      reviewId: id,
      context: await requestContext(),
      now: currentTime(),
    });
    return downloadResponse(csv, {
      contentType: "text/csv; charset=utf-8",
      filename: `access-review-${id.replace(/[^A-Za-z0-9-]/g, "")}.csv`,
    });
  } catch (error) {
    return answerError(error);
  }
};
