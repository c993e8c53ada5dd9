import type { Readable } from 'svelte/store';
import { apiGetEvery } from '../api/api-client';
import type { AccountRow } from '../api/resources';
import { type LiveListState, liveListStore } from '../live/live-list-store';
import type { LiveSocket } from '../live/live-socket';
import { reduceAccount } from './account-reducer';

/** How busy each account is changes with session events, which this feed does not carry: reload that often. */
export const ACCOUNTS_REFRESH_MS = 10_000;

/** Every account of the workspace, kept live by the `accounts` feed. */
export function accountsStore(socket: LiveSocket): Readable<LiveListState<AccountRow>> {
  return liveListStore<AccountRow>({
    socket,
    topic: 'accounts',
    load: () => apiGetEvery<AccountRow>('/accounts'),
    refreshMs: ACCOUNTS_REFRESH_MS,
    rules: { reduce: reduceAccount, accepts: () => true, showsNew: true, mayEnter: () => false },
  });
}
