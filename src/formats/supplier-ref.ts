/** ◇ SPEC §4.1: in outbound files `supplier_ref` is jl-edge's own reference for the order. */
export function supplierRef(orderId: number): string {
  return `JLE-${orderId}`;
}
