// The jobs table: filtered on the server (GET /gleaner/v1/jobs) by queue, status and name, paged
// newest first, grouped by queue or status, array parents expandable to their children, and bulk
// cancel/terminate of the selected jobs. The filter lives in the address, so a view is a link.
import { ApiError, batch, get } from "../api";
import { badge, h, link, section, table } from "../dom";
import { age, duration, EVERY_STATUS, JOB_STATUSES } from "../format";
import { onEvent } from "../live";
import { setQuery } from "../router";

interface Filter {
  queue: string;
  statuses: string[];
  name: string;
  groupBy: "" | "queue" | "status";
}

function readFilter(query: URLSearchParams): Filter {
  const statuses = (query.get("status") ?? "").split(",").filter((s) => s !== "");
  const groupBy = query.get("groupBy");
  return {
    queue: query.get("queue") ?? "",
    statuses,
    name: query.get("name") ?? "",
    groupBy: groupBy === "queue" || groupBy === "status" ? groupBy : "",
  };
}

function writeFilter(filter: Filter): URLSearchParams {
  const query = new URLSearchParams();
  if (filter.queue) query.set("queue", filter.queue);
  if (filter.statuses.length) query.set("status", filter.statuses.join(","));
  if (filter.name) query.set("name", filter.name);
  if (filter.groupBy) query.set("groupBy", filter.groupBy);
  return query;
}

function listingPath(queue: string, statuses: string[], name: string, nextToken?: string): string {
  const query = new URLSearchParams();
  if (queue) query.set("jobQueue", queue);
  if (statuses.length) query.set("jobStatus", statuses.join(","));
  if (name) query.set("jobName", name);
  query.set("maxResults", "50");
  if (nextToken) query.set("nextToken", nextToken);
  return `/gleaner/v1/jobs?${query}`;
}

export function jobsView(root: HTMLElement, _params: Record<string, string>, query: URLSearchParams) {
  const filter = readFilter(query);
  const selected = new Set<string>();
  const rowsById = new Map<string, HTMLTableRowElement>();
  const message = h("p", { id: "bulk-result", class: "message", role: "status" });
  const body = h("div", { id: "jobs-body" });
  const fresh = h("button", { id: "new-jobs", class: "hidden", onclick: () => reload() });
  let newJobs = 0;

  // --- The filter bar.
  const queueSelect = h("select", { id: "filter-queue", "aria-label": "Queue" }, h("option", { value: "" }, "every queue"));
  const statusBoxes = JOB_STATUSES.map((status) => {
    const box = h("input", { type: "checkbox", value: status, checked: filter.statuses.includes(status) });
    return h("label", { class: "status-choice" }, box, " ", badge(status));
  });
  const nameInput = h("input", {
    id: "filter-name",
    type: "search",
    placeholder: "name contains… (or a glob with *)",
    value: filter.name,
  });
  const groupSelect = h(
    "select",
    { id: "group-by", "aria-label": "Group by" },
    h("option", { value: "" }, "no grouping"),
    h("option", { value: "queue" }, "group by queue"),
    h("option", { value: "status" }, "group by status"),
  );
  groupSelect.value = filter.groupBy;
  const apply = () => {
    filter.queue = queueSelect.value;
    filter.statuses = statusBoxes
      .map((label) => label.querySelector("input")!)
      .filter((box) => box.checked)
      .map((box) => box.value);
    filter.name = nameInput.value.trim();
    filter.groupBy = groupSelect.value as Filter["groupBy"];
    setQuery(writeFilter(filter));
    reload();
  };
  let typing: number | undefined;
  nameInput.addEventListener("input", () => {
    window.clearTimeout(typing);
    typing = window.setTimeout(apply, 300);
  });
  for (const control of [queueSelect, groupSelect, ...statusBoxes]) control.addEventListener("change", apply);
  const failedFirst = h("button", {
    id: "only-failed",
    onclick: () => {
      for (const label of statusBoxes) {
        const box = label.querySelector("input")!;
        box.checked = box.value === "FAILED";
      }
      apply();
    },
  }, "Failed only");

  // --- Bulk actions on the selected jobs.
  const reason = h("input", { id: "bulk-reason", type: "text", placeholder: "reason", value: "Stopped from the gleaner dashboard" });
  const bulk = (operation: "CancelJob" | "TerminateJob") => async () => {
    const ids = [...selected];
    if (ids.length === 0) {
      message.textContent = "Select jobs first.";
      return;
    }
    const results = await Promise.allSettled(ids.map((jobId) => batch(operation, { jobId, reason: reason.value || operation })));
    const failed = results
      .map((result, i) => (result.status === "rejected" ? `${ids[i]}: ${(result.reason as Error).message}` : ""))
      .filter((text) => text);
    const verb = operation === "CancelJob" ? "cancelled" : "terminated";
    message.textContent = `${ids.length - failed.length} of ${ids.length} ${verb}` + (failed.length ? `; ${failed.join("; ")}` : "");
    selected.clear();
    reload();
  };
  const selectPage = h("input", {
    type: "checkbox",
    id: "select-page",
    "aria-label": "Select every job shown",
    onchange: (event: Event) => {
      const on = (event.target as HTMLInputElement).checked;
      for (const box of body.querySelectorAll<HTMLInputElement>("input.select-job")) {
        box.checked = on;
        if (on) selected.add(box.value);
        else selected.delete(box.value);
      }
    },
  });

  root.append(
    h("h1", {}, "Jobs"),
    h(
      "div",
      { class: "filters" },
      queueSelect,
      h("span", { class: "statuses" }, statusBoxes),
      failedFirst,
      nameInput,
      groupSelect,
    ),
    h(
      "div",
      { class: "bulk" },
      h("label", {}, selectPage, " all shown"),
      h("button", { id: "bulk-cancel", onclick: bulk("CancelJob") }, "Cancel selected"),
      h("button", { id: "bulk-terminate", class: "danger", onclick: bulk("TerminateJob") }, "Terminate selected"),
      reason,
      fresh,
    ),
    message,
    body,
  );

  // --- The listing.
  function jobRow(job: any, child = false): HTMLTableRowElement {
    const box = h("input", {
      type: "checkbox",
      class: "select-job",
      value: job.jobId,
      "aria-label": `Select ${job.jobName}`,
      checked: selected.has(job.jobId),
      onchange: (event: Event) => {
        if ((event.target as HTMLInputElement).checked) selected.add(job.jobId);
        else selected.delete(job.jobId);
      },
    });
    const array = job.arrayProperties;
    const summary = array?.statusSummary;
    const expand =
      array && array.size !== undefined && !child
        ? h("button", { class: "expand", "aria-expanded": "false", title: "Show the children" }, "▸")
        : null;
    const started = job.startedAt;
    const row = h(
      "tr",
      { "data-job-id": job.jobId, class: child ? "child" : "" },
      h("td", {}, box),
      h(
        "td",
        {},
        expand,
        link(`/ui/jobs/${encodeURIComponent(job.jobId)}`, job.jobName ?? job.jobId),
        h("div", { class: "id" }, job.jobId),
      ),
      h("td", {}, job.jobQueueName ?? ""),
      h("td", { class: "status" }, badge(job.status)),
      h(
        "td",
        {},
        summary
          ? `${summary.SUCCEEDED ?? 0}/${array.size} succeeded` + (summary.FAILED ? `, ${summary.FAILED} failed` : "")
          : array?.index !== undefined
            ? `index ${array.index}`
            : "",
      ),
      h("td", { class: "number" }, job.attempts ?? ""),
      h("td", {}, age(job.createdAt)),
      h("td", {}, started ? duration((job.stoppedAt ?? Date.now()) - started) : ""),
      h("td", { class: "reason" }, job.statusReason ?? ""),
    );
    rowsById.set(job.jobId, row);
    if (expand) {
      expand.addEventListener("click", () => void toggleChildren(job, row, expand));
    }
    return row;
  }

  async function toggleChildren(job: any, row: HTMLTableRowElement, button: HTMLButtonElement) {
    if (button.getAttribute("aria-expanded") === "true") {
      button.setAttribute("aria-expanded", "false");
      button.textContent = "▸";
      let next = row.nextElementSibling;
      while (next && next.classList.contains("child")) {
        const after = next.nextElementSibling;
        next.remove();
        next = after;
      }
      return;
    }
    button.setAttribute("aria-expanded", "true");
    button.textContent = "▾";
    const page = await batch("ListJobs", { arrayJobId: job.jobId, maxResults: 100, filters: EVERY_STATUS });
    let anchor: Element = row;
    for (const child of page.jobSummaryList) {
      const childRow = jobRow({ ...child, jobQueueName: job.jobQueueName }, true);
      anchor.after(childRow);
      anchor = childRow;
    }
    if (page.nextToken) {
      const more = h("tr", { class: "child" }, h("td", { colspan: 9 }, `the first 100 of ${job.arrayProperties.size} children: `, link(`/ui/jobs/${encodeURIComponent(job.jobId)}`, "the job's page")));
      anchor.after(more);
    }
  }

  const headings = ["", "Job", "Queue", "Status", "Array", "Attempts", "Age", "Duration", "Reason"];

  // One paged listing (newest first) into `container`.
  function listing(queue: string, statuses: string[]): HTMLElement {
    const container = h("div", { class: "listing" });
    const tokens: (string | undefined)[] = [undefined];
    let page = 0;
    async function show() {
      const answer = await get(listingPath(queue, statuses, filter.name, tokens[page]));
      if (answer.nextToken) tokens[page + 1] = answer.nextToken;
      const rows = answer.jobs.map((job: any) => jobRow(job));
      const pager = h(
        "div",
        { class: "pager" },
        h("button", { class: "newer", disabled: page === 0, onclick: () => { page -= 1; void show(); } }, "← newer"),
        ` page ${page + 1} · ${answer.jobs.length} jobs `,
        h("button", { class: "older", disabled: !answer.nextToken, onclick: () => { page += 1; void show(); } }, "older →"),
        answer.jobs.length === 0 && answer.nextToken ? ` (searched ${answer.searchedJobs} jobs so far)` : "",
      );
      container.replaceChildren(
        rows.length ? table(headings, rows, { class: "jobs" }) : h("p", { class: "empty" }, "No jobs match."),
        pager,
      );
    }
    show().catch((error: ApiError) => container.replaceChildren(h("p", { class: "error" }, error.message)));
    return container;
  }

  function group(title: string, counts: string, queue: string, statuses: string[]): HTMLElement {
    const details = h("details", { class: "group" }, h("summary", {}, h("strong", {}, title), " ", counts));
    details.addEventListener("toggle", () => {
      if (details.open && details.children.length === 1) details.append(listing(queue, statuses));
    });
    return details;
  }

  let shownAt = Date.now();
  const seen = new Set<string>();
  async function reload() {
    newJobs = 0;
    shownAt = Date.now();
    seen.clear();
    fresh.classList.add("hidden");
    rowsById.clear();
    const summary = await get("/gleaner/v1/queues");
    if (queueSelect.options.length === 1) {
      for (const queue of summary.queues) queueSelect.append(h("option", { value: queue.jobQueueName }, queue.jobQueueName));
      queueSelect.value = filter.queue;
    }
    const statuses = filter.statuses.length ? filter.statuses : [...JOB_STATUSES];
    const queues = summary.queues.filter((queue: any) => !filter.queue || queue.jobQueueName === filter.queue);
    if (filter.groupBy === "queue") {
      body.replaceChildren(
        section(
          "By queue",
          queues.map((queue: any) =>
            group(queue.jobQueueName, statuses.map((s) => `${s} ${queue.jobCounts[s] ?? 0}`).join(" · "), queue.jobQueueName, filter.statuses),
          ),
        ),
      );
    } else if (filter.groupBy === "status") {
      body.replaceChildren(
        section(
          "By status",
          statuses.map((status) => {
            const total = queues.reduce((sum: number, queue: any) => sum + (queue.jobCounts[status] ?? 0), 0);
            return group(status, `${total} jobs`, filter.queue, [status]);
          }),
        ),
      );
    } else {
      body.replaceChildren(listing(filter.queue, filter.statuses));
    }
  }

  const unsubscribe = onEvent((event) => {
    if (event["detail-type"] !== "Batch Job State Change") return;
    const job = event.detail;
    const row = rowsById.get(job.jobId);
    if (row) {
      row.querySelector("td.status")!.replaceChildren(badge(job.status));
      row.querySelector("td.reason")!.textContent = job.statusReason ?? "";
      return;
    }
    // A job submitted since the page was shown (the feed's first word of a job is PENDING or
    // RUNNABLE: SUBMITTED is not an event, as on AWS).
    if (job.createdAt < shownAt || job.arrayProperties?.index !== undefined || seen.has(job.jobId)) return;
    const queueName = String(job.jobQueue ?? "").split("/").pop();
    if (filter.queue && queueName !== filter.queue) return;
    seen.add(job.jobId);
    newJobs += 1;
    fresh.textContent = `${newJobs} new job${newJobs === 1 ? "" : "s"}: show`;
    fresh.classList.remove("hidden");
  });
  reload().catch((error: ApiError) => body.replaceChildren(h("p", { class: "error" }, error.message)));
  return unsubscribe;
}
