/** Small pieces every page uses: state squares, the flash message, tables, buttons that call the API. */
import { createContext, useContext, type ReactNode } from 'react';
import { messageOf } from './api';

/** A task instance or run state as a coloured square (`none` for no state). */
export function StateBox({ state, title, href, label }: { state: string | null | undefined; title?: string; href?: string; label?: string }) {
  const s = state || 'none';
  const props = { className: `state s-${s}`, title: `${title ? `${title}: ` : ''}${s}`, 'data-state': s };
  return href ? <a href={href} {...props}>{label}</a> : <span {...props}>{label}</span>;
}

export interface Flash {
  show(text: string, kind?: 'ok' | 'error'): void;
  /** Runs an action, shows `done(result)` or the error. */
  run<T>(action: () => Promise<T>, done: (result: T) => string, after?: () => unknown): Promise<void>;
}

export const FlashContext = createContext<Flash>({ show: () => undefined, run: async () => undefined });
export const useFlash = (): Flash => useContext(FlashContext);

/** Builds the Flash of a setter. */
export function flashOf(set: (value: { text: string; kind: 'ok' | 'error' }) => void): Flash {
  const show = (text: string, kind: 'ok' | 'error' = 'ok'): void => set({ text, kind });
  return {
    show,
    async run(action, done, after) {
      try {
        const result = await action();
        show(done(result));
        await after?.();
      } catch (error) {
        show(messageOf(error), 'error');
      }
    },
  };
}

/** A table with a header row; `rows` are `<tr>`s. */
export function Table({ id, head, children }: { id?: string; head: string[]; children: ReactNode }) {
  return (
    <table id={id}>
      <thead><tr>{head.map((h, i) => <th key={i}>{h}</th>)}</tr></thead>
      <tbody>{children}</tbody>
    </table>
  );
}

/** What a page shows before its first answer, or when a read failed. */
export function Loading({ error }: { error: string | null }) {
  return error ? <p className="error">{error}</p> : <p className="loading">Loading...</p>;
}

export const text = (value: unknown): string => (value === null || value === undefined ? '' : String(value));

/** Seconds as `1.5 s`, `2 min 3 s`, `1 h 2 min`. */
export function duration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return '';
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(seconds / 3600)} h ${Math.round((seconds % 3600) / 60)} min`;
}

/** An ISO date as `2024-01-01 00:00:00` (UTC). */
export function when(iso: string | null | undefined): string {
  return iso ? iso.replace('T', ' ').replace(/(\.\d+)?(\+00:00|Z)$/, '') : '';
}
