/**
 * Privacy of culture aggregates, enforced on every query path:
 * - minimum group size k (default 5, never below 3): no aggregate, trend, comment or alert for fewer;
 * - next-smallest-group (complementary) suppression: when a parent total is shown next to its
 *   groups, the suppressed groups together must also reach k, else more groups (smallest first) are
 *   suppressed; if that cannot work, the parent is suppressed too. So no hidden group can be derived
 *   by subtracting the shown groups from the total.
 */
import { inputError } from '../../../platform/errors.ts';

export const DEFAULT_MIN_GROUP_SIZE = 5;
export const FLOOR_MIN_GROUP_SIZE = 3;

export const checkMinGroupSize = (value: number): number => {
  if (!Number.isInteger(value) || value < FLOOR_MIN_GROUP_SIZE || value > 1000) {
    throw inputError('minGroupSize', `minGroupSize must be an integer between ${FLOOR_MIN_GROUP_SIZE} and 1000`, 'Privacy needs groups of at least 3 people; 5 is the default.');
  }
  return value;
};

/** The effective threshold: never below the floor, whatever is stored. */
export const effectiveThreshold = (configured: number | null | undefined): number => Math.max(FLOOR_MIN_GROUP_SIZE, configured ?? DEFAULT_MIN_GROUP_SIZE);

export const publishable = (n: number, k: number): boolean => n >= effectiveThreshold(k);

export interface GroupSize {
  id: string;
  n: number;
}

/**
 * Which groups and whether the parent total may be shown. Returns the ids of groups that are shown.
 * Ties in size are broken by id so the result is deterministic.
 */
export const complementarySuppression = (groups: readonly GroupSize[], k: number): { shown: Set<string>; parentShown: boolean } => {
  const threshold = effectiveThreshold(k);
  const total = groups.reduce((s, g) => s + g.n, 0);
  const shown = new Set(groups.filter((g) => g.n >= threshold).map((g) => g.id));
  if (total < threshold) return { shown: new Set(), parentShown: false };
  const hiddenSum = () => groups.filter((g) => !shown.has(g.id)).reduce((s, g) => s + g.n, 0);
  const hiddenCount = () => groups.length - shown.size;
  // A single hidden group, or hidden groups totalling fewer than k, could be derived from the parent.
  while (hiddenCount() > 0 && (hiddenSum() < threshold || hiddenCount() === 1)) {
    const next = groups.filter((g) => shown.has(g.id)).sort((a, b) => a.n - b.n || a.id.localeCompare(b.id))[0];
    if (!next) break;
    shown.delete(next.id);
  }
  const hidden = hiddenCount();
  // Whatever is hidden must be at least k together and not a single group; otherwise hide the parent.
  const parentShown = hidden === 0 || (hiddenSum() >= threshold && hidden >= 2);
  return { shown, parentShown };
};
