import { EventEmitter } from "node:events";

/** One line of function output (`LogEntry` in the OpenAPI spec). */
export interface LogEntry {
  name: string;
  namespace: string;
  instance: string;
  timestamp: string;
  text: string;
}

const MAX_LINES_PER_FUNCTION = 2000;

/** Keeps the recent output of every function and notifies followers of new lines. */
export class LogStore {
  private readonly lines = new Map<string, LogEntry[]>();
  private readonly events = new EventEmitter();

  constructor() {
    this.events.setMaxListeners(0);
  }

  append(entry: LogEntry): void {
    const key = `${entry.namespace}/${entry.name}`;
    let list = this.lines.get(key);
    if (!list) this.lines.set(key, (list = []));
    list.push(entry);
    if (list.length > MAX_LINES_PER_FUNCTION) list.splice(0, list.length - MAX_LINES_PER_FUNCTION);
    this.events.emit(key, entry);
  }

  /** Stored lines of a function, oldest first. */
  history(namespace: string, name: string): readonly LogEntry[] {
    return this.lines.get(`${namespace}/${name}`) ?? [];
  }

  /** Calls `listener` for each new line until the returned function is called. */
  follow(namespace: string, name: string, listener: (entry: LogEntry) => void): () => void {
    const key = `${namespace}/${name}`;
    this.events.on(key, listener);
    return () => this.events.off(key, listener);
  }

  /** Drops the lines of a deleted function. */
  forget(namespace: string, name: string): void {
    this.lines.delete(`${namespace}/${name}`);
  }
}
