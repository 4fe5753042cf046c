import { setTimeout as sleep } from 'node:timers/promises';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

export interface SubscriptionEvent {
  data?: Record<string, any> | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, any> }[];
}

/** What one subscription attempt came to, watched for a while. */
export interface SubscriptionOutcome {
  /** Whether the server acknowledged the connection (`connection_ack`). */
  connected: boolean;
  /** `next` messages received, in order. */
  events: SubscriptionEvent[];
  /** The `error` message of the subscription (a list of GraphQL errors), if one came. */
  errors: SubscriptionEvent['errors'] | null;
  /** The server completed the subscription. */
  completed: boolean;
  /** The socket was closed, with its close code and reason. */
  closed: { code: number; reason: string } | null;
}

/**
 * Opens a graphql-ws connection as a browser would (token in `connection_init`), subscribes
 * once, watches for `watchMs` (less if the subscription ends earlier), then disconnects. An
 * allowed subscription with nothing to tell stays open, without events, errors or completion.
 */
export async function probeSubscription(
  wsUrl: string,
  token: string | null,
  query: string,
  watchMs = 1500,
): Promise<SubscriptionOutcome> {
  const outcome: SubscriptionOutcome = { connected: false, events: [], errors: null, completed: false, closed: null };
  const client = createClient({
    url: wsUrl,
    webSocketImpl: WebSocket,
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
    retryAttempts: 0,
    lazy: false,
    onNonLazyError: () => undefined,
    on: {
      connected: () => {
        outcome.connected = true;
      },
      closed: (event) => {
        const { code, reason } = event as { code: number; reason: string };
        outcome.closed ??= { code, reason };
      },
    },
  });
  const ended = () => outcome.completed || outcome.errors !== null || outcome.closed !== null;
  client.subscribe(
    { query },
    {
      next: (value) => {
        outcome.events.push(value as SubscriptionEvent);
      },
      error: (error) => {
        if (Array.isArray(error)) outcome.errors = error as SubscriptionOutcome['errors'];
      },
      complete: () => {
        outcome.completed = true;
      },
    },
  );
  const deadline = Date.now() + watchMs;
  while (Date.now() < deadline && !ended()) await sleep(25);
  // A refusal that arrives as an event is followed by completion: give it a moment to arrive.
  if (outcome.events.length > 0 && !ended()) await sleep(200);
  // What was seen before we hung up: disposing closes the socket (1000) on our side.
  const seen: SubscriptionOutcome = { ...outcome, events: [...outcome.events] };
  await client.dispose();
  return seen;
}
