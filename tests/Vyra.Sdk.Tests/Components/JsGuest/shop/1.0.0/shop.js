// The shop component's JavaScript (world vyra:shop/shop in wit/shop.wit), built into logic.wasm by ../../build.sh.
// Value mapping of componentize-js: records are objects with camelCase fields, enums are their case names,
// variants are { tag, val }, option<T> is the value or undefined, and a thrown string is result's err.
import audit from 'audit';

const UNIT_PRICE = 100;

export function checkout(order, discount) {
  if (order.items.length !== order.quantities.length) {
    throw new Error('items and quantities differ in length');
  }
  let total = 0;
  const lines = order.items.map((item, i) => {
    const quantity = order.quantities[i];
    total += quantity * UNIT_PRICE;
    return `${quantity} x ${item}`;
  });
  switch (discount.tag) {
    case 'percent':
      total -= Math.floor((total * Math.min(discount.val, 100)) / 100);
      break;
    case 'fixed':
      total = Math.max(0, total - discount.val);
      break;
  }
  const sequence = audit(`${order.customer}: ${total} (${order.priority})`);
  lines.push(`audit #${sequence}`);
  return { customer: order.customer, lines, total, priority: order.priority };
}

export function quantityOf(order, item) {
  const at = order.items.indexOf(item);
  return at < 0 ? undefined : order.quantities[at];
}

export function parseQuantity(text) {
  if (!/^[0-9]+$/.test(text)) throw `not a quantity: '${text}'`;
  const value = Number(text);
  if (value > 0xffffffff) throw `too large: ${text}`;
  return value;
}

export function spin() {
  let n = 0;
  for (;;) n = (n + 1) | 0;
}

export function version() {
  return 'shop 1.0.0 (JavaScript)';
}
