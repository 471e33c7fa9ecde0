export { startReview } from "./start-review";
export { startReviewDecision, decideReview } from "./decide-review";
export { closeReview, sweepReviews, REMIND_BEFORE_MS } from "./close-review";
export {
  hasOpenReviewToDo,
  listReviews,
  listReviewablePolicies,
  getReview,
  type TReviewSummary,
  type TReviewView,
  type TReviewItemView,
} from "./read-reviews";
export { exportReviewCsv } from "./export-review";
export {
  ZStartReview,
  ZStartReviewDecision,
  ZDecideReview,
  DEFAULT_USAGE_DAYS,
  MAX_REVIEW_DAYS,
  type TStartReview,
  type TReviewVerdict,
} from "./schemas";
