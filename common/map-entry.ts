/**
 * The entry of `key` in `map`, created by `make` and stored the first time it is asked for: the
 * accumulate-per-group pattern of the tie-out, the report figures and the approval diff.
 */
export function mapEntry<K, V>(map: Map<K, V>, key: K, make: () => NoInfer<V>): V {
  let v = map.get(key);
  if (v === undefined) map.set(key, (v = make()));
  return v;
}
