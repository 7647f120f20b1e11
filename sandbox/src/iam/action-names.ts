/**
 * Action names as the gateway checks them (https://docs.openfaas.com/openfaas-pro/iam/overview/):
 * which patterns a statement may write, and the nearest valid name for one it may not.
 */
import { KNOWN_ACTIONS } from "./types.js";

/** The kinds of the known actions (`Function`, `Secret`, `Namespace`, `System`). */
const KINDS = [...new Set(KNOWN_ACTIONS.map((a) => a.split(":")[0]!))];

/** What a statement may write as an action: `*`, `<Kind>:*` of a known kind, or a known action. */
export function isKnownActionPattern(action: string): boolean {
  if (action === "*" || (KNOWN_ACTIONS as readonly string[]).includes(action)) return true;
  const m = /^([A-Za-z]+):\*$/.exec(action);
  return m !== null && KINDS.includes(m[1]!);
}

/** Verbs people write for the gateway's (a deploy is a Create, or an Update of what exists). */
const VERB_SYNONYMS: Record<string, string> = {
  deploy: "Create",
  add: "Create",
  new: "Create",
  read: "Get",
  describe: "Get",
  show: "Get",
  view: "Get",
  write: "Update",
  edit: "Update",
  patch: "Update",
  put: "Update",
  remove: "Delete",
  destroy: "Delete",
  rm: "Delete",
  call: "Invoke",
  execute: "Invoke",
  run: "Invoke",
  log: "Logs",
  ls: "List",
};

/**
 * The valid action pattern nearest to `action`, for an error message: the same name in another case,
 * a known kind with a synonym of its verb (`Function:Deploy` → `Function:Create`), else the pattern
 * fewest edits away (at most a third of its length). Undefined when nothing is near.
 */
export function nearestAction(action: string): string | undefined {
  const candidates = ["*", ...KINDS.map((k) => `${k}:*`), ...KNOWN_ACTIONS];
  const lower = action.toLowerCase();
  const sameCase = candidates.find((c) => c.toLowerCase() === lower);
  if (sameCase) return sameCase;
  const [kindText, verb] = lower.split(":");
  const kind = KINDS.find((k) => k.toLowerCase() === kindText?.trim());
  const synonym = verb === undefined ? undefined : VERB_SYNONYMS[verb.trim()];
  if (kind && synonym && (KNOWN_ACTIONS as readonly string[]).includes(`${kind}:${synonym}`)) return `${kind}:${synonym}`;
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(action.length / 3)) + 1;
  for (const c of candidates) {
    const d = editDistance(lower, c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}

/** Levenshtein distance (insertions, deletions and substitutions of one character). */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)));
    previous = current;
  }
  return previous[b.length]!;
}

/** `"Function:Read" matches no action the gateway checks (did you mean Function:Get?); ...`: the loader's and lint's message. */
export function unknownActionMessage(action: string): string {
  const nearest = nearestAction(action);
  return `"${action}" matches no action the gateway checks${nearest ? ` (did you mean ${nearest}?)` : ""}; expected *, <Kind>:* or one of ${KNOWN_ACTIONS.join(", ")}`;
}
