/**
 * Auth0's checkpoint paging (`from`/`take`) over rows read in id order with `take + 1` as the limit: the first `take`
 * rows, mapped, and the id to continue from when the extra row shows that more remain.
 */
export function checkpointPage<R extends { id: string }, T>(
  rows: R[],
  take: number,
  map: (row: R) => T,
): { page: T[]; next?: string } {
  const kept = rows.slice(0, take);
  return { page: kept.map(map), ...(rows.length > take ? { next: kept[kept.length - 1]!.id } : {}) };
}
