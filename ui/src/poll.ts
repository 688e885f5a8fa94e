/**
 * Updates without a reload: a page's loader runs now, then every few seconds while the tab is visible (polling
 * pauses when it is hidden and catches up when it shows again). A failed poll is shown and retried next time.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { messageOf } from './api';

/** How often pages read the server again. */
export const POLL_MS = 3000;

export interface Polled<T> {
  data: T | null;
  error: string | null;
  /** Reads again now (after an action). */
  reload: () => Promise<void>;
}

export function usePoll<T>(load: () => Promise<T>, deps: readonly unknown[], intervalMs: number = POLL_MS): Polled<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const loadRef = useRef(load);
  loadRef.current = load;
  const generation = useRef(0);

  const reload = useCallback(async () => {
    const mine = generation.current;
    try {
      const next = await loadRef.current();
      if (mine === generation.current) {
        setData(next);
        setError(null);
      }
    } catch (err) {
      if (mine === generation.current) setError(messageOf(err));
    }
  }, []);

  useEffect(() => {
    generation.current += 1;
    void reload();
    let timer: ReturnType<typeof setInterval> | null = null;
    const start = (): void => {
      if (timer === null) timer = setInterval(() => void reload(), intervalMs);
    };
    const stop = (): void => {
      if (timer !== null) clearInterval(timer);
      timer = null;
    };
    const onVisibility = (): void => {
      if (document.hidden) stop();
      else {
        void reload();
        start();
      }
    };
    if (!document.hidden) start();
    document.addEventListener('visibilitychange', onVisibility);
    return () => {
      stop();
      document.removeEventListener('visibilitychange', onVisibility);
    };
  }, deps);

  return { data, error, reload };
}
