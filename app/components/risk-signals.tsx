import { RISK_LABELS, type TRiskSignal } from "@/lib/risk";
import { Badge } from "./ui";

const scoreTone = (score: number) => (score >= 4 ? "red" : score >= 2 ? "amber" : "slate");

/** The request's risk signals for approvers: each with its reason, and the score they add up to. */
export const RiskSignals = ({
  score,
  signals,
  compact = false,
}: {
  score: number;
  signals: TRiskSignal[];
  compact?: boolean;
}) => {
  if (signals.length === 0) return <p className="text-sm text-slate-600">No risk signals.</p>;
  if (compact) {
    return (
      <p className="flex flex-wrap items-center gap-1 text-sm" aria-label="Risk signals">
        <Badge tone={scoreTone(score)}>risk {score}</Badge>
        {signals.map((signal) => (
          <span key={signal.code} title={signal.reason}>
            <Badge tone="amber">{RISK_LABELS[signal.code]}</Badge>
          </span>
        ))}
      </p>
    );
  }
  return (
    <div>
      <p className="mb-2 text-sm">
        Risk score <Badge tone={scoreTone(score)}>{score}</Badge>
      </p>
      <ul className="space-y-1" aria-label="Risk signals">
        {signals.map((signal) => (
          <li key={signal.code} className="text-sm">
            <span className="font-medium">{RISK_LABELS[signal.code]}</span> (+{signal.weight}): {signal.reason}
          </li>
        ))}
      </ul>
    </div>
  );
};
