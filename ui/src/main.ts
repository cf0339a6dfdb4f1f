// gleaner's dashboard: sign in, then the views (router.ts) with live updates from the event feed.
import "./style.css";
import { session, signOut, whenSignedOut } from "./api";
import { h, link } from "./dom";
import { onLiveState, startLiveUpdates, stopLiveUpdates } from "./live";
import { route, startRouter } from "./router";
import { computeEnvironmentView } from "./views/computeEnvironment";
import { costView } from "./views/cost";
import { jobView } from "./views/job";
import { jobsView } from "./views/jobs";
import { loginView } from "./views/login";
import { overviewView } from "./views/overview";

const top = document.getElementById("top")!;
const app = document.getElementById("app")!;

route("/", overviewView);
route("/jobs", jobsView);
route("/jobs/:id", jobView);
route("/compute-environments", overviewView);
route("/compute-environments/:name", computeEnvironmentView);
route("/cost", costView);

function header(keyId: string | undefined, authenticationRequired: boolean): void {
  const live = h("span", { id: "live", class: "live off", title: "live updates from the event feed" }, "● live");
  onLiveState((on) => live.classList.toggle("off", !on));
  top.replaceChildren(
    h(
      "nav",
      {},
      link("/ui/", h("strong", { class: "brand" }, "gleaner")),
      link("/ui/", "Overview"),
      link("/ui/jobs", "Jobs"),
      link("/ui/cost", "Cost"),
      h("span", { class: "spacer" }),
      live,
      authenticationRequired
        ? h(
            "span",
            { class: "who" },
            keyId ?? "",
            " ",
            h("button", { id: "sign-out", onclick: () => void signOut().then(showLogin) }, "Sign out"),
          )
        : null,
    ),
  );
}

function showLogin(): void {
  stopLiveUpdates();
  top.replaceChildren();
  loginView(app, () => void start());
}

async function start(): Promise<void> {
  const current = await session();
  if (!current.signedIn) return showLogin();
  header(current.accessKeyId, current.authenticationRequired);
  void startLiveUpdates();
  startRouter(app, notFound);
}

function notFound(root: HTMLElement): void {
  root.append(h("h1", {}, "Not found"), h("p", {}, "No view has this address. ", link("/ui/", "The overview")));
}

whenSignedOut(showLogin);
void start();
