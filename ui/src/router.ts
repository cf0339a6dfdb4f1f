// Deep links: every view has its own address under /ui, followed in the page (history API);
// gleaner answers any /ui/... address with the page, which then shows the right view.

export type View = (root: HTMLElement, params: Record<string, string>, query: URLSearchParams) =>
  | (() => void)
  | void;

interface Route {
  pattern: RegExp;
  names: string[];
  view: View;
}

const routes: Route[] = [];
let cleanup: (() => void) | void;
let render: () => void = () => {};
let listening = false;

export const BASE = "/ui";

export function route(path: string, view: View): void {
  const names: string[] = [];
  const pattern = new RegExp(
    "^" +
      path.replace(/:(\w+)/g, (_, name: string) => {
        names.push(name);
        return "([^/]+)";
      }) +
      "/?$",
  );
  routes.push({ pattern, names, view });
}

export function navigate(href: string, replace = false): void {
  if (replace) history.replaceState(null, "", href);
  else history.pushState(null, "", href);
  render();
}

// Changes the query string of the current address without a new history entry per keystroke.
export function setQuery(query: URLSearchParams): void {
  const search = query.toString();
  history.replaceState(null, "", location.pathname + (search ? `?${search}` : ""));
}

export function startRouter(root: HTMLElement, notFound: View): void {
  render = () => {
    if (cleanup) cleanup();
    root.replaceChildren();
    const path = location.pathname.slice(BASE.length) || "/";
    const query = new URLSearchParams(location.search);
    for (const { pattern, names, view } of routes) {
      const match = pattern.exec(path);
      if (!match) continue;
      const params: Record<string, string> = {};
      names.forEach((name, i) => (params[name] = decodeURIComponent(match[i + 1])));
      cleanup = view(root, params, query);
      return;
    }
    cleanup = notFound(root, {}, query);
  };
  if (listening) return render();
  listening = true;
  document.addEventListener("click", (event) => {
    const anchor = (event.target as Element).closest("a[data-route]") as HTMLAnchorElement | null;
    if (!anchor || event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
    event.preventDefault();
    navigate(anchor.getAttribute("href")!);
  });
  window.addEventListener("popstate", () => render());
  render();
}

export function rerender(): void {
  render();
}
