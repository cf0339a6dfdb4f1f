// The overview: queues with their counts and oldest waiting job, compute environments with their
// instances by pool and zone, recent interruptions, and the throughput seen while the page is open.
import { batch, get } from "../api";
import { badge, h, link, section, table } from "../dom";
import { age, JOB_STATUSES, timestamp } from "../format";
import { refreshOn } from "../live";

const SAMPLE_MILLIS = 5000;

interface Sample {
  at: number;
  finished: number;
}

export function overviewView(root: HTMLElement): () => void {
  const queues = h("div", { id: "queues" }, "Loading…");
  const environments = h("div", { id: "compute-environments" }, "Loading…");
  const interruptions = h("div", { id: "interruptions" }, "Loading…");
  const throughput = h("div", { id: "throughput" }, "Measuring…");
  root.append(
    h("h1", {}, "Overview"),
    section("Job queues", queues),
    section("Throughput", throughput),
    section("Compute environments", environments),
    section("Recent interruptions", interruptions),
  );
  const samples: Sample[] = [];
  let stopped = false;

  async function refresh() {
    if (stopped) return;
    const [queueSummary, described, instances, warnings] = await Promise.all([
      get("/gleaner/v1/queues"),
      batch("DescribeComputeEnvironments", {}),
      get("/gleaner/v1/instances"),
      get(
        "/gleaner/v1/events?latest&limit=10&detailType=" +
          encodeURIComponent("EC2 Spot Instance Interruption Warning"),
      ),
    ]);
    if (stopped) return;
    queues.replaceChildren(queueTable(queueSummary.queues));
    environments.replaceChildren(environmentTable(described.computeEnvironments, instances.instances));
    interruptions.replaceChildren(interruptionList(warnings.events));
    let finished = 0;
    for (const queue of queueSummary.queues) {
      finished += queue.jobCounts.SUCCEEDED + queue.jobCounts.FAILED;
    }
    samples.push({ at: Date.now(), finished });
    if (samples.length > 120) samples.shift();
    throughput.replaceChildren(throughputView(samples));
  }

  const showError = (error: Error) => queues.replaceChildren(h("p", { class: "error" }, error.message));
  const unsubscribe = refreshOn(refresh, () => true, showError);
  const timer = window.setInterval(() => void refresh().catch(showError), SAMPLE_MILLIS);
  return () => {
    stopped = true;
    unsubscribe();
    window.clearInterval(timer);
  };
}

function queueTable(queues: any[]): Node {
  if (queues.length === 0) {
    return h("p", { class: "empty" }, "No job queues yet: aws batch create-job-queue …");
  }
  const rows = queues.map((queue) => {
    const name = queue.jobQueueName;
    const counts = JOB_STATUSES.map((status) => {
      const count = queue.jobCounts[status] ?? 0;
      return h(
        "td",
        { class: `count${count ? "" : " zero"}`, "data-status": status },
        count ? link(`/ui/jobs?queue=${encodeURIComponent(name)}&status=${status}`, count) : "0",
      );
    });
    const oldest = queue.oldestRunnable;
    return h(
      "tr",
      { "data-queue": name },
      h("td", {}, link(`/ui/jobs?queue=${encodeURIComponent(name)}`, name)),
      h("td", {}, badge(queue.state), " ", queue.status),
      counts,
      h("td", { class: "number" }, queue.reservedVcpus),
      h(
        "td",
        {},
        oldest
          ? [link(`/ui/jobs/${encodeURIComponent(oldest.jobId)}`, oldest.jobName), ` ${age(oldest.runnableSince || oldest.createdAt)}`]
          : "",
      ),
    );
  });
  return table(["Queue", "State", ...JOB_STATUSES, "Running vCPUs", "Oldest waiting"], rows, {
    class: "queues",
  });
}

function environmentTable(environments: any[], instances: any[]): Node {
  if (environments.length === 0) return h("p", { class: "empty" }, "No compute environments yet.");
  const rows = environments.map((environment) => {
    const name = environment.computeEnvironmentName;
    const mine = instances.filter(
      (instance) =>
        instance.computeEnvironment === name || instance.computeEnvironment === environment.computeEnvironmentArn,
    );
    const pools = new Map<string, number>();
    for (const instance of mine) {
      const key = `${instance.instanceType} ${instance.lifecycle} in ${instance.availabilityZone}`;
      pools.set(key, (pools.get(key) ?? 0) + 1);
    }
    const resources = environment.computeResources ?? {};
    return h(
      "tr",
      { "data-compute-environment": name },
      h("td", {}, link(`/ui/compute-environments/${encodeURIComponent(name)}`, name)),
      h("td", {}, badge(environment.state), " ", environment.status),
      h("td", {}, environment.type, resources.type ? ` ${resources.type}` : ""),
      h("td", { class: "number" }, resources.desiredvCpus ?? "", " / ", resources.maxvCpus ?? ""),
      h("td", { class: "number" }, mine.length),
      h(
        "td",
        {},
        h("ul", { class: "pools" }, [...pools].map(([pool, count]) => h("li", {}, `${count} × ${pool}`))),
      ),
    );
  });
  return table(["Compute environment", "State", "Type", "vCPUs desired / max", "Instances", "By pool and zone"], rows, {
    class: "compute-environments",
  });
}

function interruptionList(events: any[]): Node {
  if (events.length === 0) return h("p", { class: "empty" }, "No interruptions kept in the event log.");
  return table(
    ["Time", "Instance", "Action"],
    events
      .slice()
      .reverse()
      .map((event) =>
        h(
          "tr",
          {},
          h("td", {}, timestamp(Date.parse(event.time))),
          h("td", {}, event.detail["instance-id"]),
          h("td", {}, event.detail["instance-action"]),
        ),
      ),
    { class: "interruptions" },
  );
}

function throughputView(samples: Sample[]): Node {
  if (samples.length < 2) return h("p", {}, "Measuring: jobs finished per minute appear after the next sample.");
  const bars: number[] = [];
  for (let i = 1; i < samples.length; ++i) {
    const minutes = (samples[i].at - samples[i - 1].at) / 60000;
    bars.push(Math.max(0, samples[i].finished - samples[i - 1].finished) / minutes);
  }
  const recent = bars.slice(-12);
  const rate = recent.reduce((sum, value) => sum + value, 0) / recent.length;
  const highest = Math.max(1, ...bars);
  const chart = h("div", { class: "sparkline", title: "jobs finished per minute, one bar per 5 s" });
  for (const value of bars) {
    const bar = h("span", { class: "bar" });
    bar.style.height = `${Math.round((value / highest) * 100)}%`;
    chart.append(bar);
  }
  return h(
    "div",
    {},
    h("p", {}, h("strong", { id: "throughput-rate" }, rate.toFixed(1)), " jobs finished per minute (last minute, since this page opened)"),
    chart,
  );
}

