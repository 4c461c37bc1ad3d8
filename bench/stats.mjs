// The few statistics every bench reports: medians and the middle half of the samples.

/** The value below which `share` of the samples lie, interpolated between neighbours. */
export function quantile(values, share) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (sorted.length - 1) * share;
  const low = Math.floor(at);
  return sorted[low] + (sorted[Math.min(low + 1, sorted.length - 1)] - sorted[low]) * (at - low);
}

export const median = (values) => quantile(values, 0.5);

/** The middle half of the samples, to show how much the machine wavered. */
export const spread = (values) => [quantile(values, 0.25), quantile(values, 0.75)];
