import { LiveSocket } from './live-socket';

let shared: LiveSocket | null = null;

/** The page's one socket to `/ws` on this origin (the browser sends the login cookie with it). */
export function liveSocket(): LiveSocket {
  if (!shared) {
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    const socket = new LiveSocket({ url: `${scheme}://${location.host}/ws` });
    addEventListener('online', () => socket.retryNow());
    shared = socket;
  }
  return shared;
}
