import { readable } from 'svelte/store';

/** The current time, ticking each second while anything shows a countdown or an age. */
export const now = readable(Date.now(), (set) => {
  set(Date.now());
  const timer = setInterval(() => set(Date.now()), 1000);
  return () => clearInterval(timer);
});
