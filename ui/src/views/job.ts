// One job: what it is, why it waits, its attempts on a timeline, its dependencies, environment
// and children, and its log, followed live while it runs.
import { ApiError, batch, get, logs } from "../api";
import { append, badge, Child, h, link, section, table } from "../dom";
import { dollars, duration, EVERY_STATUS, timestamp } from "../format";
import { refreshOn } from "../live";

const FINAL = new Set(["SUCCEEDED", "FAILED"]);
const LOG_GROUP = "/aws/batch/job";
const MAX_LOG_LINES = 1000;

export function jobView(root: HTMLElement, params: Record<string, string>): () => void {
  const jobId = params.id;
  const header = h("div", { id: "job-header" }, "Loading…");
  const details = h("div", { id: "job-details" });
  const logPanel = h("div", { id: "job-log" });
  root.append(header, details, logPanel);
  let stopped = false;
  let log: LogTail | undefined;

  async function refresh() {
    const [described, cost] = await Promise.all([
      batch("DescribeJobs", { jobs: [jobId] }),
      get(`/gleaner/v1/cost?job=${encodeURIComponent(jobId)}`).catch(() => undefined),
    ]);
    if (stopped) return;
    const job = described.jobs[0];
    if (!job) {
      header.replaceChildren(h("h1", {}, "No such job"), h("p", { class: "error" }, `gleaner knows no job ${jobId}.`));
      return;
    }
    header.replaceChildren();
    append(header, jobHeader(job, refresh, cost));
    details.replaceChildren(...jobSections(job, cost));
    const streams = logStreams(job);
    if (!log && streams.length) {
      log = new LogTail(logPanel, streams);
    } else if (log) {
      log.update(streams, FINAL.has(job.status));
    }
  }

  const unsubscribe = refreshOn(
    refresh,
    (event) => event["detail-type"] === "Batch Job State Change" && event.detail.jobId === jobId,
    (error) => header.replaceChildren(h("p", { class: "error" }, error.message)),
    500,
  );
  return () => {
    stopped = true;
    unsubscribe();
    log?.stop();
  };
}

function jobHeader(job: any, refresh: () => Promise<void>, cost: any): Child[] {
  const queue = String(job.jobQueue).split("/").pop()!;
  const stop = (operation: "CancelJob" | "TerminateJob") => async () => {
    await batch(operation, { jobId: job.jobId, reason: "Stopped from the gleaner dashboard" });
    await refresh();
  };
  const waiting = job.status === "RUNNABLE" || job.status === "PENDING";
  return [
    h("h1", {}, job.jobName, " ", badge(job.status)),
    job.statusReason
      ? h("p", { class: waiting ? "why-waiting" : "reason", id: "status-reason" }, waiting ? "Why it waits: " : "", job.statusReason)
      : null,
    h(
      "dl",
      { class: "facts" },
      fact("Job id", job.jobId),
      fact("Queue", link(`/ui/jobs?queue=${encodeURIComponent(queue)}`, queue)),
      fact("Definition", String(job.jobDefinition).split("/").pop()),
      fact("Created", timestamp(job.createdAt)),
      fact("Started", timestamp(job.startedAt)),
      fact("Stopped", timestamp(job.stoppedAt)),
      job.startedAt ? fact("Duration", duration((job.stoppedAt ?? Date.now()) - job.startedAt)) : null,
      fact("Attempts", String(job.attempts?.length ?? 0) + (job.retryStrategy?.attempts ? ` of ${job.retryStrategy.attempts}` : "")),
      cost?.attempts?.length ? fact("Cost", h("span", { id: "job-cost" }, costSummary(cost.total))) : null,
    ),
    FINAL.has(job.status)
      ? null
      : h(
          "div",
          { class: "actions" },
          h("button", { id: "cancel-job", onclick: stop("CancelJob") }, "Cancel"),
          h("button", { id: "terminate-job", class: "danger", onclick: stop("TerminateJob") }, "Terminate"),
        ),
  ];
}

function fact(term: string, value: Node | string | undefined): Node[] {
  return [h("dt", {}, term), h("dd", {}, value ?? "")];
}

function costSummary(total: any): string {
  const parts = [`${dollars(total.usd)} (on demand ${dollars(total.onDemandUsd)}, ${total.savingsPercent.toFixed(1)}% saved`];
  if (total.lostUsd > 0) parts.push(`${dollars(total.lostUsd)} lost to interruptions`);
  if (total.idleUsd > 0) parts.push(`idle share ${dollars(total.idleUsd)}`);
  return parts.join("; ") + ")";
}

// Each attempt's cost: where it ran, on what, how it ended, what it paid.
function attemptCosts(cost: any): Node {
  const rows = cost.attempts.map((attempt: any) =>
    h(
      "tr",
      { "data-outcome": attempt.outcome },
      h("td", {}, attempt.jobId === cost.jobId ? String(attempt.attempt) : `${attempt.jobId.slice(cost.jobId.length)} #${attempt.attempt}`),
      h("td", {}, attempt.instanceId),
      h("td", {}, attempt.instanceType),
      h("td", {}, attempt.lifecycle),
      h("td", { class: "outcome" }, attempt.outcome),
      h("td", { class: "number" }, duration(attempt.to - attempt.from)),
      h("td", { class: "number" }, dollars(attempt.usd)),
      h("td", { class: "number" }, dollars(attempt.onDemandUsd)),
    ),
  );
  return table(["Attempt", "Instance", "Type", "Lifecycle", "Ended", "Held", "Cost", "On demand"], rows, {
    class: "attempt-costs",
  });
}

function jobSections(job: any, cost: any): Node[] {
  const sections: Node[] = [section("Attempts", timeline(job))];
  if (cost?.attempts?.length) sections.push(section("Cost", attemptCosts(cost)));
  if (job.dependsOn?.length) {
    sections.push(
      section(
        "Depends on",
        h(
          "ul",
          { id: "dependencies" },
          job.dependsOn.map((dependency: any) =>
            h("li", {}, link(`/ui/jobs/${encodeURIComponent(dependency.jobId)}`, dependency.jobId), dependency.type ? ` (${dependency.type})` : ""),
          ),
        ),
      ),
    );
  }
  const array = job.arrayProperties;
  if (array?.statusSummary) {
    sections.push(
      section(
        "Array children",
        h("p", {}, `${array.size} children: `, Object.entries(array.statusSummary).filter(([, n]) => n).map(([status, n]) => `${status} ${n}`).join(", ")),
        childrenTable(job.jobId),
      ),
    );
  }
  const container = job.container ?? {};
  const environment: any[] = container.environment ?? [];
  sections.push(
    section(
      "Container",
      h(
        "dl",
        { class: "facts" },
        fact("Image", container.image),
        fact("Command", JSON.stringify(container.command ?? [])),
        fact("Resources", (container.resourceRequirements ?? []).map((r: any) => `${r.type} ${r.value}`).join(", ")),
      ),
      environment.length
        ? table(
            ["Environment variable", "Value"],
            environment.map((variable) => h("tr", {}, h("td", {}, variable.name), h("td", {}, variable.value))),
            { id: "environment" },
          )
        : h("p", { class: "empty" }, "No environment variables."),
    ),
  );
  return sections;
}

function childrenTable(jobId: string): Node {
  const holder = h("div", { id: "children" }, "Loading…");
  batch("ListJobs", { arrayJobId: jobId, maxResults: 100, filters: EVERY_STATUS })
    .then((page) =>
      holder.replaceChildren(
        table(
          ["Index", "Child", "Status", "Reason"],
          page.jobSummaryList.map((child: any) =>
            h(
              "tr",
              {},
              h("td", {}, child.arrayProperties?.index ?? ""),
              h("td", {}, link(`/ui/jobs/${encodeURIComponent(child.jobId)}`, child.jobId)),
              h("td", {}, badge(child.status)),
              h("td", {}, child.statusReason ?? ""),
            ),
          ),
        ),
        page.nextToken ? h("p", {}, "The first 100 children.") : "",
      ),
    )
    .catch((error: Error) => holder.replaceChildren(h("p", { class: "error" }, error.message)));
  return holder;
}

// Every attempt as a bar on one time axis from the job's creation to its end (or now).
function timeline(job: any): Node {
  const attempts: any[] = [...(job.attempts ?? [])];
  const running = job.startedAt && !job.stoppedAt;
  if (running) attempts.push({ startedAt: job.startedAt, container: job.container, current: true });
  if (attempts.length === 0) return h("p", { class: "empty" }, "No attempt has started yet.");
  const from = job.createdAt;
  const to = job.stoppedAt ?? Date.now();
  const span = Math.max(1, to - from);
  const lanes = attempts.map((attempt, i) => {
    const end = attempt.stoppedAt ?? Date.now();
    const bar = h("div", {
      class: `attempt-bar ${attempt.current ? "running" : attempt.container?.exitCode === 0 ? "succeeded" : "failed"}`,
      title: `attempt ${i + 1}: ${timestamp(attempt.startedAt)} – ${attempt.stoppedAt ? timestamp(attempt.stoppedAt) : "now"}`,
    });
    bar.style.left = `${((attempt.startedAt - from) / span) * 100}%`;
    bar.style.width = `${Math.max(0.5, ((end - attempt.startedAt) / span) * 100)}%`;
    return h("div", { class: "lane" }, h("span", { class: "lane-label" }, `#${i + 1}`), h("div", { class: "track" }, bar));
  });
  const rows = attempts.map((attempt, i) =>
    h(
      "tr",
      {},
      h("td", {}, `#${i + 1}`),
      h("td", {}, timestamp(attempt.startedAt)),
      h("td", {}, attempt.stoppedAt ? duration(attempt.stoppedAt - attempt.startedAt) : "running"),
      h("td", {}, attempt.container?.exitCode ?? ""),
      h("td", {}, attempt.statusReason ?? attempt.container?.reason ?? ""),
      h("td", {}, String(attempt.container?.containerInstanceArn ?? attempt.container?.taskArn ?? "").split("/").pop() ?? ""),
    ),
  );
  return h(
    "div",
    { id: "attempts" },
    h("div", { class: "timeline" }, lanes, h("div", { class: "axis" }, h("span", {}, timestamp(from)), h("span", {}, job.stoppedAt ? timestamp(to) : "now"))),
    table(["Attempt", "Started", "Ran", "Exit code", "Reason", "Instance"], rows, { class: "attempts" }),
  );
}

function logStreams(job: any): string[] {
  const streams: string[] = (job.attempts ?? []).map((attempt: any) => attempt.container?.logStreamName).filter(Boolean);
  const current = job.container?.logStreamName;
  if (current && !streams.includes(current)) streams.push(current);
  return streams;
}

// The log of one attempt (the newest by default): the last MAX_LOG_LINES lines, then every new
// line each second while "follow" is on and the job has not ended.
class LogTail {
  private readonly pre = h("pre", { id: "log-lines" });
  private readonly picker = h("select", { id: "log-stream", "aria-label": "Attempt" });
  private readonly follow = h("input", { type: "checkbox", id: "log-follow", checked: true });
  private readonly filter = h("input", { type: "search", id: "log-filter", placeholder: "filter lines" });
  private lines: string[] = [];
  private token: string | undefined;
  private timer: number | undefined;
  private ended = false;

  constructor(
    private readonly panel: HTMLElement,
    streams: string[],
  ) {
    this.panel.append(
      section(
        "Log",
        h("div", { class: "log-controls" }, this.picker, h("label", {}, this.follow, " follow"), this.filter),
        this.pre,
      ),
    );
    this.picker.addEventListener("change", () => this.restart());
    this.filter.addEventListener("input", () => this.render());
    this.update(streams, false);
    this.restart();
  }

  update(streams: string[], ended: boolean): void {
    const justEnded = ended && !this.ended;
    this.ended = ended;
    const known = new Set([...this.picker.options].map((option) => option.value));
    const followingNewest = this.picker.selectedIndex === this.picker.options.length - 1;
    streams.forEach((stream, i) => {
      if (!known.has(stream)) this.picker.append(h("option", { value: stream }, `attempt ${i + 1}: ${stream}`));
    });
    if (followingNewest && this.picker.value !== streams[streams.length - 1]) {
      this.picker.value = streams[streams.length - 1];
      this.restart();
    } else if (justEnded && this.timer !== -1) {
      window.clearTimeout(this.timer);
      void this.poll();  // the last lines, written as it ended
    }
  }

  stop(): void {
    window.clearTimeout(this.timer);
    this.timer = -1;
  }

  private restart(): void {
    window.clearTimeout(this.timer);
    this.timer = undefined;
    this.lines = [];
    this.token = undefined;
    void this.poll();
  }

  private async poll(): Promise<void> {
    if (this.timer === -1) return;
    const stream = this.picker.value;
    try {
      for (;;) {
        const page = await logs("GetLogEvents", {
          logGroupName: LOG_GROUP,
          logStreamName: stream,
          startFromHead: true,
          ...(this.token ? { nextToken: this.token } : {}),
        });
        if (stream !== this.picker.value) return;
        const fresh = page.events.map((event: any) => event.message);
        this.lines.push(...fresh);
        if (this.lines.length > MAX_LOG_LINES) this.lines.splice(0, this.lines.length - MAX_LOG_LINES);
        const moved = page.nextForwardToken !== this.token;
        this.token = page.nextForwardToken;
        if (!moved || fresh.length === 0) break;
      }
      this.render();
    } catch (error) {
      if (!(error instanceof ApiError && error.code === "ResourceNotFoundException")) {
        this.pre.textContent = (error as Error).message;
      }
    }
    if (this.timer === -1) return;
    if (this.follow.checked && !this.ended) this.timer = window.setTimeout(() => void this.poll(), 1000);
  }

  private render(): void {
    const needle = this.filter.value.toLowerCase();
    const shown = needle ? this.lines.filter((line) => line.toLowerCase().includes(needle)) : this.lines;
    this.pre.textContent = shown.length ? shown.join("\n") : "(no output yet)";
    this.pre.scrollTop = this.pre.scrollHeight;
  }
}
