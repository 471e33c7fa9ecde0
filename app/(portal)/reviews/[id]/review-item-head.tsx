/**
 * The head of a table of review items: the columns the review's table and a reviewer's
 * verdicts both show, then the table's own.
 */
export const ReviewItemHead = ({ then }: { then: string[] }) => (
  <thead>
    <tr className="border-b border-slate-200">
      {["Person", "Policy", "Eligible through", "Use in the period", ...then].map((column) => (
        <th key={column} className="py-1">
          {column}
        </th>
      ))}
    </tr>
  </thead>
);
