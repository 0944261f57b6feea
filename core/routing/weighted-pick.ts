/** A random pick in proportion to weight: `random()` in [0, 1) maps onto the cumulative weights. */
export function pickWeighted<T extends { weight: number }>(items: readonly T[], random: () => number): T {
  const total = items.reduce((sum, item) => sum + item.weight, 0)
  let point = random() * total
  for (const item of items) {
    point -= item.weight
    if (point < 0) return item
  }
  return items[items.length - 1] as T
}
