// Live updates: gleaner's event feed as Server-Sent Events (EventBridge-shaped events), one
// stream for the whole page, resumed by the browser with Last-Event-ID after a drop.
import { get } from "./api";

export interface GleanerEvent {
  id: string;
  "detail-type": string;
  source: string;
  time: string;
  resources: string[];
  detail: any;
  gleanerSequence: number;
}

type Listener = (event: GleanerEvent) => void;
const listeners = new Set<Listener>();
let source: EventSource | undefined;
let stateListener: (live: boolean) => void = () => {};

export function onEvent(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function onLiveState(listener: (live: boolean) => void): void {
  stateListener = listener;
}

export async function startLiveUpdates(): Promise<void> {
  if (source) return;
  // From now on: the newest event's sequence number, so that nothing already kept is replayed.
  const latest = await get("/gleaner/v1/events?latest&limit=1");
  source = new EventSource(`/gleaner/v1/events?after=${latest.next}`);
  source.onopen = () => stateListener(true);
  source.onerror = () => stateListener(source?.readyState === EventSource.OPEN);
  source.onmessage = (message) => {
    const event = JSON.parse(message.data) as GleanerEvent;
    for (const listener of listeners) listener(event);
  };
}

export function stopLiveUpdates(): void {
  source?.close();
  source = undefined;
  stateListener(false);
}

// Shows a view now and again after each event that `matters` accepts (at most once per
// `millis`); a failure goes to `showError`. Returns what stops it.
export function refreshOn(
  refresh: () => Promise<void>,
  matters: (event: GleanerEvent) => boolean,
  showError: (error: Error) => void,
  millis = 1000,
): () => void {
  const run = () => void refresh().catch(showError);
  const soon = throttled(run, millis);
  const unsubscribe = onEvent((event) => {
    if (matters(event)) soon();
  });
  run();
  return unsubscribe;
}

// Calls `refresh` at most once per `millis`, however often it is asked to.
export function throttled(refresh: () => void, millis = 1000): () => void {
  let timer: number | undefined;
  return () => {
    if (timer !== undefined) return;
    timer = window.setTimeout(() => {
      timer = undefined;
      refresh();
    }, millis);
  };
}
