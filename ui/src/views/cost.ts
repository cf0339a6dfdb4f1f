// What jobs cost and saved (GET /gleaner/v1/cost, as `gleaner cost`): one row per queue, compute
// environment, job definition or lifecycle, with the on-demand equivalent, savings, the cost lost
// to interruptions and the idle share, and their total.
import { get } from "../api";
import { h, section, table } from "../dom";
import { dollars } from "../format";
import { refreshOn } from "../live";
import { setQuery } from "../router";

const GROUPINGS: Record<string, string> = {
  queue: "Queue",
  "compute-environment": "Compute environment",
  "job-definition": "Job definition",
  lifecycle: "Lifecycle",
};

export function costView(root: HTMLElement, _params: Record<string, string>, query: URLSearchParams): () => void {
  let by = GROUPINGS[query.get("by") ?? ""] ? query.get("by")! : "queue";
  const report = h("div", { id: "cost-report" }, "Loading…");
  const picker = h(
    "select",
    {
      id: "cost-by",
      onchange: (event: Event) => {
        by = (event.target as HTMLSelectElement).value;
        setQuery(new URLSearchParams({ by }));
        void refresh().catch(showError);
      },
    },
    Object.entries(GROUPINGS).map(([value, label]) => h("option", { value, selected: value === by }, label)),
  );
  root.append(
    h("h1", {}, "Cost"),
    h("p", {}, "By ", picker, ": each attempt's share of its instance (AWS's split cost allocation), instances' idle time shared among the jobs that ran on them."),
    section("What jobs cost", report),
  );
  let stopped = false;

  async function refresh() {
    const answer = await get(`/gleaner/v1/cost?by=${encodeURIComponent(by)}`);
    if (stopped) return;
    report.replaceChildren(costTable(GROUPINGS[by], answer.rows, answer.total));
  }

  const showError = (error: Error) => report.replaceChildren(h("p", { class: "error" }, error.message));
  const unsubscribe = refreshOn(refresh, (event) => event["detail-type"] === "Batch Job State Change", showError, 2000);
  return () => {
    stopped = true;
    unsubscribe();
  };
}

export function costCells(row: any): Node[] {
  return [
    h("td", { class: "number" }, String(row.jobs)),
    h("td", { class: "number" }, String(row.attempts)),
    h("td", { class: "number cost" }, dollars(row.usd)),
    h("td", { class: "number" }, dollars(row.onDemandUsd)),
    h("td", { class: "number savings" }, `${row.savingsPercent.toFixed(1)}%`),
    h("td", { class: "number lost" }, dollars(row.lostUsd)),
    h("td", { class: "number" }, dollars(row.idleUsd)),
  ];
}

function costTable(heading: string, rows: any[], total: any): Node {
  if (rows.length === 0) return h("p", { class: "empty" }, "No attempt has ended yet.");
  const lines = rows.map((row) => h("tr", { "data-group": row.group }, h("td", {}, row.group), costCells(row)));
  lines.push(h("tr", { class: "total", "data-group": "total" }, h("td", {}, h("strong", {}, "Total")), costCells(total)));
  return table([heading, "Jobs", "Attempts", "Cost", "On-demand equivalent", "Savings", "Lost to interruptions", "Idle"], lines, {
    class: "cost",
  });
}
