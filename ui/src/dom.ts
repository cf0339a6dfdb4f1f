// Small DOM helpers: every text goes in as a text node, never as markup.

export type Child = Node | string | number | null | undefined | false;
type Attribute = string | number | boolean | ((event: Event) => void) | undefined;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Record<string, Attribute> = {},
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) continue;
    if (typeof value === "function") {
      element.addEventListener(name.replace(/^on/, ""), value);
    } else if (value === true) {
      element.setAttribute(name, "");
    } else {
      element.setAttribute(name, String(value));
    }
  }
  append(element, children);
  return element;
}

export function append(parent: Node, children: (Child | Child[])[]): void {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function clear(element: Element): void {
  while (element.firstChild) element.removeChild(element.firstChild);
}

// A link inside the dashboard: followed without reloading the page (see router.ts).
export function link(href: string, ...children: Child[]): HTMLAnchorElement {
  return h("a", { href, "data-route": true }, ...children);
}

export function badge(status: string): HTMLSpanElement {
  return h("span", { class: `badge status-${status.toLowerCase()}` }, status);
}

export function table(headings: string[], rows: Node[], attributes: Record<string, Attribute> = {}) {
  return h(
    "table",
    attributes,
    h("thead", {}, h("tr", {}, headings.map((heading) => h("th", {}, heading)))),
    h("tbody", {}, rows),
  );
}

export function section(title: string, ...children: (Child | Child[])[]): HTMLElement {
  return h("section", {}, h("h2", {}, title), ...children);
}
