// The dashboard's browser tests: Debian's chromium driven by playwright-core. Each scenario is
// run by tests/integration/test_dashboard.py against a real `gleaner up` it prepared:
//   node ui/tests/browser.mjs <scenario> '<json arguments>'
// It prints one line of JSON ({"ok": true, ...} or {"ok": false, "error"}), exits non-zero on
// failure, and keeps a screenshot of every step in $GLEANER_SCREENSHOT_DIR (default
// build/test-artifacts/dashboard).
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = path.dirname(fileURLToPath(import.meta.url));
const screenshots =
  process.env.GLEANER_SCREENSHOT_DIR ?? path.join(here, "..", "..", "build", "test-artifacts", "dashboard");
const TIMEOUT = 15000;

class Failure extends Error {}
function check(condition, message) {
  if (!condition) throw new Failure(message);
}

async function launch() {
  return chromium.launch({
    executablePath: process.env.GLEANER_CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    // As root on a machine with no network but loopback: no sandbox, no background traffic.
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

async function shot(page, name) {
  mkdirSync(screenshots, { recursive: true });
  await page.screenshot({ path: path.join(screenshots, `${name}.png`), fullPage: true });
}

async function signIn(page, args) {
  await page.goto(`${args.endpoint}/ui/`);
  await page.fill("#access-key-id", args.accessKeyId);
  await page.fill("#secret-access-key", args.secretAccessKey);
  await page.click("form#login button[type=submit]");
  await page.waitForSelector("nav #sign-out", { timeout: TIMEOUT });
}

const scenarios = {
  // Signing in: a wrong key is refused on the form, the right one opens the overview.
  async "sign-in"(page, args) {
    await page.goto(`${args.endpoint}/ui/jobs`);
    await page.waitForSelector("form#login");
    await shot(page, "sign-in");
    await page.fill("#access-key-id", args.accessKeyId);
    await page.fill("#secret-access-key", "not-the-secret");
    await page.click("form#login button[type=submit]");
    await page.waitForFunction(() => document.querySelector("#login-error")?.textContent !== "");
    const refusal = await page.textContent("#login-error");
    check(/not one of this server's keys/.test(refusal), `the refusal reads: ${refusal}`);
    await page.fill("#secret-access-key", args.secretAccessKey);
    await page.click("form#login button[type=submit]");
    // Back where the browser was going: the jobs page (a deep link survives the sign-in).
    await page.waitForSelector("h1:text('Jobs')", { timeout: TIMEOUT });
    await page.click("nav a:text('Overview')");
    await page.waitForSelector(`tr[data-queue="${args.queue}"]`, { timeout: TIMEOUT });
    await shot(page, "overview");
    const cookies = await page.context().cookies();
    const session = cookies.find((cookie) => cookie.name === "gleaner_session");
    check(session && session.httpOnly && session.sameSite === "Strict", "the session cookie is HttpOnly, SameSite=Strict");
    await page.click("#sign-out");
    await page.waitForSelector("form#login");
    return { signedOut: true };
  },

  // The overview: every queue with its counts, compute environments with instances by pool.
  async overview(page, args) {
    await signIn(page, args);
    const row = await page.waitForSelector(`tr[data-queue="${args.queue}"]`, { timeout: TIMEOUT });
    await page.waitForFunction(
      ([queue, succeeded]) =>
        document.querySelector(`tr[data-queue="${queue}"] td[data-status="SUCCEEDED"]`)?.textContent === String(succeeded),
      [args.queue, args.succeeded],
      { timeout: TIMEOUT },
    );
    const failed = await row.$eval('td[data-status="FAILED"]', (cell) => cell.textContent);
    check(failed === String(args.failed), `FAILED count ${failed}, expected ${args.failed}`);
    await page.waitForSelector(`tr[data-compute-environment="${args.computeEnvironment}"]`);
    await shot(page, "overview-counts");
    // A count is a link to the jobs table filtered by that queue and status.
    await page.click(`tr[data-queue="${args.queue}"] td[data-status="FAILED"] a`);
    await page.waitForSelector("table.jobs tbody tr", { timeout: TIMEOUT });
    const statuses = await page.$$eval("table.jobs td.status", (cells) => cells.map((cell) => cell.textContent));
    check(statuses.length === args.failed && statuses.every((s) => s === "FAILED"), `jobs shown: ${statuses}`);
    return { url: page.url() };
  },

  // What a job cost on its page (each attempt, how it ended), then the cost page by queue and
  // by lifecycle.
  async cost(page, args) {
    await signIn(page, args);
    await page.goto(`${args.endpoint}/ui/jobs/${args.jobId}`);
    await page.waitForSelector("#job-cost", { timeout: TIMEOUT });
    const summary = await page.textContent("#job-cost");
    check(/^\$\d/.test(summary) && summary.includes("lost to interruptions"), `the job's cost reads: ${summary}`);
    const outcomes = await page.$$eval("table.attempt-costs td.outcome", (cells) => cells.map((cell) => cell.textContent));
    check(JSON.stringify(outcomes) === JSON.stringify(args.outcomes), `its attempts ended: ${outcomes}`);
    await shot(page, "job-cost");
    await page.click("nav a:text('Cost')");
    const row = await page.waitForSelector(`table.cost tr[data-group="${args.queue}"]`, { timeout: TIMEOUT });
    const savings = await row.$eval("td.savings", (cell) => cell.textContent);
    check(/^\d+\.\d%$/.test(savings) && parseFloat(savings) > 0, `the queue's savings read: ${savings}`);
    const lost = await row.$eval("td.lost", (cell) => cell.textContent);
    check(lost !== "$0", `the queue lost work to the interruption: ${lost}`);
    await page.selectOption("#cost-by", "lifecycle");
    await page.waitForSelector('table.cost tr[data-group="spot"]', { timeout: TIMEOUT });
    check(page.url().includes("by=lifecycle"), `the grouping is in the address: ${page.url()}`);
    await shot(page, "cost");
    return { summary, savings };
  },

  // The jobs table: server-side name filter, failed-only, array parents expanded, grouping.
  async jobs(page, args) {
    await signIn(page, args);
    const listings = [];
    page.on("request", (request) => {
      if (request.url().includes("/gleaner/v1/jobs?")) listings.push(request.url());
    });
    await page.goto(`${args.endpoint}/ui/jobs?queue=${encodeURIComponent(args.queue)}`);
    await page.waitForSelector("table.jobs tbody tr", { timeout: TIMEOUT });
    const all = await page.$$eval("table.jobs tbody tr", (rows) => rows.length);
    check(all === args.total, `${all} rows for the queue, expected ${args.total}`);
    await shot(page, "jobs");

    await page.fill("#filter-name", "alpha");
    await page.waitForFunction(
      (count) => document.querySelectorAll("table.jobs tbody tr").length === count,
      args.alpha,
      { timeout: TIMEOUT },
    );
    check(listings.some((url) => url.includes("jobName=alpha")), "the name filter is applied by the server");
    check(page.url().includes("name=alpha"), `the filter is in the address: ${page.url()}`);
    await page.fill("#filter-name", "");

    await page.click("#only-failed");
    await page.waitForFunction(
      () => [...document.querySelectorAll("table.jobs td.status")].every((cell) => cell.textContent === "FAILED"),
      null,
      { timeout: TIMEOUT },
    );
    await page.waitForFunction(
      (count) => document.querySelectorAll("table.jobs tbody tr").length === count,
      args.failed,
      { timeout: TIMEOUT },
    );

    // An array parent opens to its children.
    await page.goto(`${args.endpoint}/ui/jobs?queue=${encodeURIComponent(args.queue)}&name=${args.arrayName}`);
    const parent = await page.waitForSelector(`tr[data-job-id="${args.arrayJobId}"]`, { timeout: TIMEOUT });
    await (await parent.$("button.expand")).click();
    await page.waitForFunction((size) => document.querySelectorAll("tr.child").length === size, args.arraySize, {
      timeout: TIMEOUT,
    });
    await shot(page, "jobs-array-expanded");

    // Grouped by status, with each group's count; a group opens to its jobs.
    await page.goto(`${args.endpoint}/ui/jobs?queue=${encodeURIComponent(args.queue)}&groupBy=status`);
    const group = await page.waitForSelector("details.group:has(strong:text('SUCCEEDED'))", { timeout: TIMEOUT });
    const summary = await group.$eval("summary", (element) => element.textContent);
    check(summary.includes(`${args.succeeded} jobs`), `the SUCCEEDED group says: ${summary}`);
    await (await group.$("summary")).click();
    await group.waitForSelector("table.jobs tbody tr", { timeout: TIMEOUT });
    await shot(page, "jobs-grouped");
    return { listings: listings.length };
  },

  // Bulk actions: the selected jobs are cancelled with the given reason.
  async "bulk-cancel"(page, args) {
    await signIn(page, args);
    await page.goto(`${args.endpoint}/ui/jobs?queue=${encodeURIComponent(args.queue)}&status=PENDING`);
    for (const jobId of args.cancel) {
      const row = await page.waitForSelector(`tr[data-job-id="${jobId}"]`, { timeout: TIMEOUT });
      await (await row.$("input.select-job")).check();
    }
    await page.fill("#bulk-reason", "not needed any more");
    await page.click("#bulk-cancel");
    await page.waitForFunction(
      (count) => document.querySelector("#bulk-result")?.textContent.startsWith(`${count} of ${count} cancelled`),
      args.cancel.length,
      { timeout: TIMEOUT },
    );
    await shot(page, "jobs-bulk-cancelled");
    return { message: await page.textContent("#bulk-result") };
  },

  // A job's page by its deep link: attempts on the timeline, its log, its environment, and its
  // status changing live as the job ends.
  async job(page, args) {
    await signIn(page, args);
    await page.goto(`${args.endpoint}/ui/jobs/${encodeURIComponent(args.jobId)}`);
    await page.waitForSelector("#attempts .attempt-bar", { timeout: TIMEOUT });
    await page.waitForFunction(
      (needle) => document.querySelector("#log-lines")?.textContent.includes(needle),
      args.logLine,
      { timeout: TIMEOUT },
    );
    const environment = await page.textContent("#environment");
    check(environment.includes(args.environmentName), `the environment table: ${environment}`);
    await shot(page, "job-running");
    // Nothing reloads the page: the event feed brings the end of the job, which the gate allows.
    await page.evaluate(() => (window.__notReloaded = true));
    writeFileSync(args.gate, "");
    await page.waitForSelector("h1 .badge.status-succeeded", { timeout: 30000 });
    check(await page.evaluate(() => window.__notReloaded === true), "the page was reloaded");
    await page.waitForFunction(
      (needle) => document.querySelector("#log-lines")?.textContent.includes(needle),
      args.lastLogLine,
      { timeout: TIMEOUT },
    );
    await shot(page, "job-succeeded");
    return {};
  },

  // A job that cannot run says why it waits.
  async "job-waiting"(page, args) {
    await signIn(page, args);
    await page.goto(`${args.endpoint}/ui/jobs/${encodeURIComponent(args.jobId)}`);
    const reason = await page.waitForSelector("#status-reason.why-waiting", { timeout: TIMEOUT });
    const text = await reason.textContent();
    check(text.includes(args.reasonIncludes), `the reason reads: ${text}`);
    await shot(page, "job-waiting");
    return { reason: text };
  },

  // Live: a job submitted while the jobs table is open is announced without a reload.
  async "live-new-job"(page, args) {
    await signIn(page, args);
    await page.goto(`${args.endpoint}/ui/jobs?queue=${encodeURIComponent(args.queue)}`);
    await page.waitForSelector("#live:not(.off)", { timeout: TIMEOUT });
    const submitted = await page.request.post(`${args.endpoint}/v1/submitjob`, {
      headers: { "x-gleaner-session": "1", "content-type": "application/json" },
      data: { jobName: "live-one", jobQueue: args.queue, jobDefinition: args.definition },
    });
    check(submitted.ok(), `SubmitJob with the session: ${submitted.status()} ${await submitted.text()}`);
    const button = await page.waitForSelector("#new-jobs:not(.hidden)", { timeout: TIMEOUT });
    check((await button.textContent()).startsWith("1 new job"), await button.textContent());
    await button.click();
    await page.waitForSelector("table.jobs a:text('live-one')", { timeout: TIMEOUT });
    return { jobId: (await submitted.json()).jobId };
  },

  // A compute environment's page: its instances and its scaling history; the overview shows the
  // interruption.
  async "compute-environment"(page, args) {
    await signIn(page, args);
    await page.goto(`${args.endpoint}/ui/compute-environments/${encodeURIComponent(args.computeEnvironment)}`);
    await page.waitForSelector(`tr[data-instance-id="${args.instanceId}"]`, { timeout: TIMEOUT });
    await page.waitForSelector("table.scaling-history tbody tr", { timeout: TIMEOUT });
    const history = await page.textContent("table.scaling-history");
    check(history.includes(args.instanceId), `the scaling history: ${history}`);
    await shot(page, "compute-environment");
    await page.goto(`${args.endpoint}/ui/`);
    await page.waitForSelector(`table.interruptions td:text("${args.instanceId}")`, { timeout: TIMEOUT });
    await shot(page, "overview-interruption");
    return {};
  },
};

async function main() {
  const [name, json] = process.argv.slice(2);
  const scenario = scenarios[name];
  if (!scenario) throw new Failure(`no scenario ${name}: ${Object.keys(scenarios).join(", ")}`);
  const browser = await launch();
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const problems = [];
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(`console: ${message.text()}`);
  });
  try {
    const result = await scenario(page, JSON.parse(json ?? "{}"));
    const unexpected = problems.filter((problem) => !/status of 40[13]/.test(problem));
    check(unexpected.length === 0, unexpected.join("\n"));
    console.log(JSON.stringify({ ok: true, ...result }));
  } catch (error) {
    await shot(page, `${name}-failure`).catch(() => {});
    console.log(JSON.stringify({ ok: false, error: String(error.stack ?? error), problems }));
    process.exitCode = 1;
  } finally {
    await browser.close();
  }
}

await main();
