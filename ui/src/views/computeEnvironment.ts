// One compute environment: its settings, its instances with their prices and interruption state,
// and its scaling history (the instance state changes kept in the event log).
import { batch, get } from "../api";
import { append, badge, h, section, table } from "../dom";
import { age, dollars, timestamp } from "../format";
import { refreshOn } from "../live";

export function computeEnvironmentView(root: HTMLElement, params: Record<string, string>): () => void {
  const name = params.name;
  const header = h("div", { id: "ce-header" }, "Loading…");
  const instancesPanel = h("div", { id: "ce-instances" });
  const history = h("div", { id: "ce-history" });
  root.append(header, section("Instances", instancesPanel), section("Scaling history", history));
  let stopped = false;

  async function refresh() {
    const [described, instances, changes] = await Promise.all([
      batch("DescribeComputeEnvironments", { computeEnvironments: [name] }),
      get("/gleaner/v1/instances"),
      get(
        "/gleaner/v1/events?latest&limit=10000&detailType=" +
          encodeURIComponent("EC2 Instance State-change Notification"),
      ),
    ]);
    if (stopped) return;
    const environment = described.computeEnvironments[0];
    if (!environment) {
      header.replaceChildren(h("h1", {}, "No such compute environment"), h("p", { class: "error" }, `gleaner knows no compute environment ${name}.`));
      return;
    }
    const resources = environment.computeResources ?? {};
    header.replaceChildren();
    append(header, [
      h("h1", {}, name, " ", badge(environment.state)),
      environment.statusReason ? h("p", { class: "reason" }, environment.status, ": ", environment.statusReason) : null,
      h(
        "dl",
        { class: "facts" },
        ...[
          ["Type", `${environment.type}${resources.type ? " " + resources.type : ""}`],
          ["vCPUs min / desired / max", `${resources.minvCpus ?? "–"} / ${resources.desiredvCpus ?? "–"} / ${resources.maxvCpus ?? "–"}`],
          ["Instance types", (resources.instanceTypes ?? []).join(", ")],
          ["Allocation strategy", resources.allocationStrategy ?? ""],
          ["Subnets", (resources.subnets ?? []).join(", ")],
          ["ARN", environment.computeEnvironmentArn],
        ].flatMap(([term, value]) => [h("dt", {}, term), h("dd", {}, value)]),
      ),
    ]);
    const mine = instances.instances.filter((instance: any) => instance.computeEnvironment === name);
    instancesPanel.replaceChildren(
      mine.length
        ? table(
            ["Instance", "Type", "Zone", "Lifecycle", "State", "Price/hour", "Age", "Jobs", "Interruption"],
            mine.map((instance: any) =>
              h(
                "tr",
                { "data-instance-id": instance.instanceId },
                h("td", {}, instance.instanceId),
                h("td", {}, instance.instanceType),
                h("td", {}, instance.availabilityZone),
                h("td", {}, instance.lifecycle),
                h("td", {}, instance.state),
                h("td", { class: "number" }, dollars(instance.hourlyPrice)),
                h("td", {}, age(instance.launchedAt)),
                h("td", { class: "number" }, instance.jobs),
                h(
                  "td",
                  { class: instance.interruptionNoticeAt ? "interrupted" : "" },
                  instance.interruptionNoticeAt
                    ? `notice at ${timestamp(instance.interruptionNoticeAt)}, gone at ${timestamp(instance.terminatesAt)}`
                    : instance.rebalanceAt
                      ? `rebalance recommended at ${timestamp(instance.rebalanceAt)}`
                      : "",
                ),
              ),
            ),
            { class: "instances" },
          )
        : h("p", { class: "empty" }, "No instances."),
    );
    const arn = environment.computeEnvironmentArn;
    const mineChanges = changes.events.filter((event: any) => event.resources.includes(arn)).reverse();
    history.replaceChildren(
      mineChanges.length
        ? table(
            ["Time", "Instance", "State"],
            mineChanges.slice(0, 200).map((event: any) =>
              h("tr", {}, h("td", {}, timestamp(Date.parse(event.time))), h("td", {}, event.detail["instance-id"]), h("td", {}, event.detail.state)),
            ),
            { class: "scaling-history" },
          )
        : h("p", { class: "empty" }, "No instance has changed state since the event log began."),
    );
  }

  const unsubscribe = refreshOn(
    refresh,
    (event) => event.source === "aws.ec2",
    (error) => header.replaceChildren(h("p", { class: "error" }, error.message)),
  );
  return () => {
    stopped = true;
    unsubscribe();
  };
}
