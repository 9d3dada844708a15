// Small shared state: the board/table filters (kept while moving between pages) and the
// message line every page uses to say what happened (412 reloads, deletes, errors).
import { useEffect, useState } from 'preact/hooks';
import type { Status } from './api/types';

export interface Filters {
  q: string;
  tag: string;
  statuses: Status[];
  due: boolean;
}

type Listener = () => void;

function store<T>(initial: T) {
  let value = initial;
  const listeners = new Set<Listener>();
  return {
    get: () => value,
    set(next: T) {
      value = next;
      listeners.forEach((listener) => listener());
    },
    use(): T {
      const [, force] = useState(0);
      useEffect(() => {
        const listener = () => force((n) => n + 1);
        listeners.add(listener);
        return () => listeners.delete(listener);
      }, []);
      return value;
    },
  };
}

export const filters = store<Filters>({ q: '', tag: '', statuses: [], due: false });

export interface Message {
  text: string;
  kind: 'info' | 'warning' | 'error';
  at: number;
}
export const message = store<Message | null>(null);
export const say = (text: string, kind: Message['kind'] = 'info') => message.set({ text, kind, at: Date.now() });

/** Today's date as the API counts days: in UTC (its follow-up filter, agenda and analytics
 * windows do), so a card marked due is one the "Follow-up due" filter lists. */
export const today = (): string => new Date().toISOString().slice(0, 10);
